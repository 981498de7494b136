import type { Logger } from "../../shared/logging/logger.js";
import type { ActionLogRepository } from "../storage/action-log-repository.js";
import type { Database } from "../storage/database.js";
import { podRepository } from "../storage/pod-repository.js";
import { requestStop } from "./pod-lifecycle.js";
import { writeTransition } from "./pod-transition-writer.js";

/**
 * Stops pods whose time_to_stop_ts has passed. `sweep` is safe to run from
 * several replicas at once: each pod is re-read inside its own transaction
 * and stopping an already stopped pod changes nothing.
 */
export class TimeToStopEnforcer {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: { db: Database; actionLog: ActionLogRepository; now: () => number; outboxWritten: () => void; logger: Logger },
    private readonly intervalMs = 15_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.sweep().catch((error: unknown) => this.deps.logger.warn("time-to-stop sweep failed", { error }));
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Stops every pod that is due; returns how many were stopped. */
  async sweep(): Promise<number> {
    const now = this.deps.now();
    const due = await this.deps.db.read((m) => podRepository.dueToStop(m, now, 500));
    let stopped = 0;
    for (const candidate of due) {
      const done = await this.deps.db.transaction(async (tx) => {
        const pod = await podRepository.findForUpdate(tx, candidate.tenantId, candidate.podId);
        if (!pod || pod.timeToStopTs === null || pod.timeToStopTs > now) return false;
        const transition = requestStop(pod, "time_to_stop");
        if (!transition) return false;
        const seconds = Math.round((pod.timeToStopTs - (pod.startInstanceTs ?? pod.timeToStopTs)) / 1000);
        await writeTransition(tx, pod, { ...transition, action: `Time to stop reached after ${seconds} s; stopping.` }, now, { actionLog: this.deps.actionLog, clock: this.deps.now });
        return true;
      });
      if (done) stopped++;
    }
    if (stopped > 0) this.deps.outboxWritten();
    return stopped;
  }
}
