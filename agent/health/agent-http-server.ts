import http from "node:http";
import type { AddressInfo } from "node:net";
import { answerHealthProbe, type ReadinessChecks } from "../../shared/health/health-endpoints.js";

/** The agent's own small HTTP server, for its orchestrator: /livez and /readyz. */
export interface AgentHttpServer {
  port: number;
  close(): Promise<void>;
}

export async function listenAgentHttp(port: number, readiness: ReadinessChecks): Promise<AgentHttpServer> {
  const server = http.createServer((req, res) => {
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
