import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { SpanKind } from "@opentelemetry/api";
import type { Histogram } from "prom-client";
import type { Logger } from "../../shared/logging/logger.js";
import { metadataNames } from "../../shared/rpc/metadata.js";
import { contextFromHeaders, inSpan, tracerOf } from "../../shared/tracing/tracing.js";
import { callerKey } from "../auth/caller.js";

/**
 * The outermost layer of every call: runs it in a span joining the caller's
 * trace, times it, logs it at debug with its request id, and tells the
 * caller in response metadata who the call was authenticated as, so a
 * gateway's access log can name the tenant and user without reading tokens
 * itself.
 */
export function createCallLogInterceptor(logger: Logger, durations: Histogram<"procedure" | "code">): Interceptor {
  const tracer = tracerOf("control-plane");
  return (next) => (req) => {
    const procedure = `${req.service.typeName}/${req.method.name}`;
    return inSpan(tracer, procedure, { kind: SpanKind.SERVER, parent: contextFromHeaders(req.header), attributes: { "rpc.method": procedure } }, async () => {
      const started = Date.now();
      const record = (code: string) => {
        logger.debug("call", { procedure, request_id: req.header.get(metadataNames.requestId) ?? undefined, duration_ms: Date.now() - started, code });
        durations.observe({ procedure, code }, (Date.now() - started) / 1000);
      };
      const caller = () => req.contextValues.get(callerKey);
      try {
        const res = await next(req);
        const who = caller();
        if (who) {
          res.header.set(metadataNames.callerTenant, who.tenantId);
          res.header.set(metadataNames.callerUser, who.username);
        }
        record("ok");
        return res;
      } catch (error) {
        const who = caller();
        if (error instanceof ConnectError && who) {
          error.metadata.set(metadataNames.callerTenant, who.tenantId);
          error.metadata.set(metadataNames.callerUser, who.username);
        }
        record(error instanceof ConnectError ? Code[error.code] : "unknown");
        throw error;
      }
    });
  };
}
