import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Histogram } from "prom-client";
import type { Logger } from "../../shared/logging/logger.js";
import { metadataNames } from "../../shared/rpc/metadata.js";
import { callerKey } from "../auth/caller.js";

/**
 * The outermost layer of every call: logs it at debug with its request id,
 * and tells the caller in response metadata who the call was authenticated
 * as, so a gateway's access log can name the tenant and user without reading
 * tokens itself.
 */
export function createCallLogInterceptor(logger: Logger, durations: Histogram<"procedure" | "code">): Interceptor {
  return (next) => async (req) => {
    const started = Date.now();
    const fields = () => ({ procedure: `${req.service.typeName}/${req.method.name}`, request_id: req.header.get(metadataNames.requestId) ?? undefined, duration_ms: Date.now() - started });
    const caller = () => req.contextValues.get(callerKey);
    try {
      const res = await next(req);
      const who = caller();
      if (who) {
        res.header.set(metadataNames.callerTenant, who.tenantId);
        res.header.set(metadataNames.callerUser, who.username);
      }
      logger.debug("call", { ...fields(), code: "ok" });
      durations.observe({ procedure: `${req.service.typeName}/${req.method.name}`, code: "ok" }, (Date.now() - started) / 1000);
      return res;
    } catch (error) {
      const who = caller();
      if (error instanceof ConnectError && who) {
        error.metadata.set(metadataNames.callerTenant, who.tenantId);
        error.metadata.set(metadataNames.callerUser, who.username);
      }
      const code = error instanceof ConnectError ? Code[error.code] : "unknown";
      logger.debug("call", { ...fields(), code });
      durations.observe({ procedure: `${req.service.typeName}/${req.method.name}`, code }, (Date.now() - started) / 1000);
      throw error;
    }
  };
}
