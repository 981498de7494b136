import type { EventBus } from "../../shared/events/event-bus.js";
import { probeState, type ReadinessChecks } from "../../shared/health/health-endpoints.js";
import type { Database } from "../storage/database.js";

/** The control plane is ready while its database and its event bus answer. */
export function controlPlaneReadiness(db: Database, bus: EventBus): ReadinessChecks {
  return async () => {
    const [database, eventBus] = await Promise.all([probeState(() => db.ping()), probeState(() => bus.ping())]);
    return { database, event_bus: eventBus };
  };
}
