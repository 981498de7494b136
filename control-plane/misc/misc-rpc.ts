import type { JsonObject } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { MiscService } from "../../gen/tapis/pods/v1/misc_service_pb.js";
import type { Logger } from "../../shared/logging/logger.js";
import type { ReadinessChecks } from "../../shared/health/health-endpoints.js";
import { InvalidArgumentError, UnavailableError } from "../errors/domain-errors.js";
import type { EdgeRoutesService } from "../edge/edge-routes-service.js";
import { traefikConfig, type TraefikOptions } from "../edge/traefik-config.js";

/**
 * Health (readiness: the database and the event bus answer), Traefik's
 * configuration rendered from the edge model, and the proxy's error page.
 */
export function miscRpc(readiness: ReadinessChecks, logger: Logger, edge: { routes: EdgeRoutesService; traefik: TraefikOptions }): ServiceImpl<typeof MiscService> {
  return {
    async healthcheck() {
      const checks = await readiness();
      const down = Object.entries(checks).filter(([, state]) => state !== "ok").map(([name]) => name);
      // The answer is public: it says what is down; the log keeps it for operators.
      if (down.length > 0) logger.warn("health check: dependencies unreachable", { down });
      if (down.length > 0) throw new UnavailableError(`not ready: ${down.join(" and ")} unreachable`);
      return { message: "I promise I'm healthy.", result: { status: "healthy", checks } };
    },
    async traefikConfig(req) {
      const config = traefikConfig(await edge.routes.routes(req.clusterId), edge.traefik);
      return { message: "Traefik configuration.", result: config as JsonObject };
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
