import { Counter, Histogram, type Registry } from "prom-client";
import { latencyBuckets } from "../../shared/metrics/metrics-endpoint.js";

/** REST requests by route template (never a concrete path: no ids in labels), method and status. */
export class RequestMetrics {
  private readonly requests: Counter<"method" | "route" | "status">;
  private readonly durations: Histogram<"method" | "route">;

  constructor(registry: Registry) {
    this.requests = new Counter({ name: "pods_http_requests_total", help: "REST requests answered, by route template, method and status", labelNames: ["method", "route", "status"], registers: [registry] });
    this.durations = new Histogram({
      name: "pods_http_request_duration_seconds",
      help: "Time from a REST request's arrival to its answer's end, by route template and method",
      labelNames: ["method", "route"],
      buckets: latencyBuckets,
      registers: [registry],
    });
  }

  record(method: string, route: string | null, status: number, seconds: number): void {
    const labels = { method: method.toUpperCase(), route: route ?? "unmatched" };
    this.requests.inc({ ...labels, status: String(status) });
    this.durations.observe(labels, seconds);
  }
}
