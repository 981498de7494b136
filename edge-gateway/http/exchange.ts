import { randomUUID } from "node:crypto";
import type http from "node:http";
import type { Logger } from "../../shared/logging/logger.js";
import type { RequestMetrics } from "./request-metrics.js";

/** What the gateway learns about one request while serving it, for its access-log line. */
export interface Exchange {
  requestId: string;
  /** The route template matched, or null. */
  route: string | null;
  /** Who the control plane authenticated the call as, when it said. */
  tenant: string | null;
  user: string | null;
  /** The body bytes of a streamed download, when it was one. */
  bytesSent?: number;
}

const wellFormedId = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Starts an exchange: the request id is the client's X-Request-Id when well
 * formed, else a new one; it is returned to the client at once, and one
 * access-log line is written (and the request counted in the metrics) when
 * the response ends or the client goes away (status 499).
 */
export function beginExchange(req: http.IncomingMessage, res: http.ServerResponse, logger: Logger, metrics: RequestMetrics): Exchange {
  const exchange = startExchange(req, logger, metrics);
  res.setHeader("X-Request-Id", exchange.requestId);
  res.once("close", () => exchange.end(res.writableFinished ? res.statusCode : 499));
  return exchange;
}

/**
 * Starts an exchange whose end the caller tells (`end(status)`), for a
 * request answered on its own socket: a WebSocket, which lives as long as
 * its session and is logged when it closes, with status 101.
 */
export function startExchange(req: http.IncomingMessage, logger: Logger, metrics: RequestMetrics): Exchange & { end(status: number): void } {
  const started = performance.now();
  const given = req.headers["x-request-id"];
  let ended = false;
  const exchange: Exchange & { end(status: number): void } = {
    requestId: typeof given === "string" && wellFormedId.test(given) ? given : randomUUID(),
    route: null,
    tenant: null,
    user: null,
    end(status: number) {
      if (ended) return;
      ended = true;
      const durationMs = performance.now() - started;
      metrics.record(req.method ?? "GET", exchange.route, status, durationMs / 1000);
      logger.info("request", {
        method: req.method,
        route: exchange.route,
        status,
        duration_ms: Math.round(durationMs * 10) / 10,
        tenant: exchange.tenant,
        user: exchange.user,
        request_id: exchange.requestId,
        ...(exchange.bytesSent !== undefined ? { bytes_sent: exchange.bytesSent } : {}),
      });
    },
  };
  return exchange;
}

/** Takes the caller the control plane named in a response's (or an error's) metadata. */
export function noteCaller(exchange: Exchange, metadata: Headers, names: { tenant: string; user: string }): void {
  exchange.tenant = metadata.get(names.tenant) ?? exchange.tenant;
  exchange.user = metadata.get(names.user) ?? exchange.user;
}
