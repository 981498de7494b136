import type { ServiceImpl } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { allOk, type ReadinessChecks } from "../../shared/health/health-endpoints.js";
import { NotFoundError } from "../errors/domain-errors.js";

/** How often Watch looks again. */
const watchIntervalMs = 5_000;

/**
 * grpc.health.v1.Health: SERVING while the control plane is ready (its
 * database and event bus answer), for the server as a whole ("") and for
 * each service it serves.
 */
export function grpcHealthRpc(readiness: ReadinessChecks, services: readonly string[]): ServiceImpl<typeof Health> {
  const known = new Set(["", ...services]);
  const statusNow = async () => (allOk(await readiness()) ? Status.SERVING : Status.NOT_SERVING);
  return {
    async check(req) {
      if (!known.has(req.service)) throw new NotFoundError("service", req.service);
      return { status: await statusNow() };
    },
    async *watch(req, ctx) {
      if (!known.has(req.service)) {
        yield { status: Status.SERVICE_UNKNOWN };
        return;
      }
      let last: Status | undefined;
      while (!ctx.signal.aborted) {
        const status = await statusNow();
        if (status !== last) yield { status };
        last = status;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, watchIntervalMs);
          ctx.signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
        });
      }
    },
  };
}
