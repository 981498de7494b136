import type { IncomingMessage, ServerResponse } from "node:http";
import { collectDefaultMetrics, Registry } from "prom-client";

/**
 * A process's metrics, with the standard process and Node.js ones. Each
 * process makes one and hands it to its parts; the embedded installation
 * shares one among its parts, whose metric names differ.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Whether the request is a Prometheus scrape. */
export function isMetricsRequest(req: IncomingMessage): boolean {
  return req.method === "GET" && (req.url ?? "").split("?")[0] === "/metrics";
}

/** Answers a scrape with the registry's metrics in Prometheus text format. */
export async function answerMetrics(res: ServerResponse, registry: Registry): Promise<void> {
  try {
    const text = await registry.metrics();
    res.writeHead(200, { "Content-Type": registry.contentType, "Cache-Control": "no-store" });
    res.end(text);
  } catch {
    res.writeHead(500, { "Content-Type": "text/plain" }).end("metrics could not be collected\n");
  }
}

/** Latency buckets in seconds for requests and calls: 1 ms to 30 s. */
export const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
