import type { ServiceImpl } from "@connectrpc/connect";
import { MiscService } from "../../gen/tapis/pods/v1/misc_service_pb.js";
import type { Logger } from "../../shared/logging/logger.js";
import { InvalidArgumentError } from "../errors/domain-errors.js";
import type { Database } from "../storage/database.js";

/** Health and the proxy's error page; the Traefik configuration is not offered yet. */
export function miscRpc(db: Database, logger: Logger): Partial<ServiceImpl<typeof MiscService>> {
  return {
    async healthcheck() {
      let database = "ok";
      try {
        await db.ping();
      } catch (error) {
        // The answer is public: say what is down, keep the details in the log.
        logger.warn("health check: database unreachable", { error });
        database = "unreachable";
      }
      const healthy = database === "ok";
      return {
        message: healthy ? "I promise I'm healthy." : "Service is unhealthy.",
        result: { status: healthy ? "healthy" : "unhealthy", checks: { database } },
      };
    },
    async errorHandler(req) {
      const status = Number(req.status);
      if (!Number.isInteger(status) || status < 100 || status > 599) {
        throw new InvalidArgumentError("status", "must be an HTTP status code");
      }
      const text =
        status === 404 ? "No pod answers at this address; check the pod id and that it is AVAILABLE." : `The pod could not answer (HTTP ${status}).`;
      return { message: text, result: String(status) };
    },
  };
}
