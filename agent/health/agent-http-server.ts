import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { answerHealthProbe, type ReadinessChecks } from "../../shared/health/health-endpoints.js";
import { answerMetrics, isMetricsRequest } from "../../shared/metrics/metrics-endpoint.js";

/** The agent's own small HTTP server, for its orchestrator and Prometheus: /livez, /readyz and /metrics. */
export interface AgentHttpServer {
  port: number;
  close(): Promise<void>;
}

export async function listenAgentHttp(port: number, readiness: ReadinessChecks, metrics: Registry): Promise<AgentHttpServer> {
  const server = http.createServer((req, res) => {
    if (isMetricsRequest(req)) return void answerMetrics(res, metrics);
    void answerHealthProbe(req, res, readiness).then((answered) => {
      if (!answered) res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "0.0.0.0", () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
