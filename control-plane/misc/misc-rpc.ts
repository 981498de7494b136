import type { JsonObject } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { MiscService } from "../../gen/tapis/pods/v1/misc_service_pb.js";
import type { Logger } from "../../shared/logging/logger.js";
import type { EventBus } from "../../shared/events/event-bus.js";
import { InvalidArgumentError, UnavailableError } from "../errors/domain-errors.js";
import type { Database } from "../storage/database.js";
import type { EdgeRoutesService } from "../edge/edge-routes-service.js";
import { traefikConfig, type TraefikOptions } from "../edge/traefik-config.js";

/**
 * Health (readiness: the database and the event bus answer), Traefik's
 * configuration rendered from the edge model, and the proxy's error page.
 */
export function miscRpc(
  db: Database,
  bus: EventBus,
  logger: Logger,
  edge: { routes: EdgeRoutesService; traefik: TraefikOptions },
): ServiceImpl<typeof MiscService> {
  const check = async (name: string, probe: () => Promise<void>) => {
    try {
      await probe();
      return "ok";
    } catch (error) {
      // The answer is public: say what is down, keep the details in the log.
      logger.warn(`health check: ${name} unreachable`, { error: String(error) });
      return "unreachable";
    }
  };
  return {
    async healthcheck() {
      const checks = { database: await check("database", () => db.ping()), event_bus: await check("event bus", () => bus.ping()) };
      const down = Object.entries(checks).filter(([, state]) => state !== "ok").map(([name]) => name);
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
