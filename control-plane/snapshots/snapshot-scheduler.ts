import { Not, type EntityManager } from "typeorm";
import type { Logger } from "../../shared/logging/logger.js";
import type { StorageWork } from "../files/storage-work.js";
import type { Database } from "../storage/database.js";
import { SnapshotEntity } from "../storage/entities/snapshot-entity.js";
import type { LevelName } from "../storage/entities/permission-entity.js";
import { permissionRepository } from "../storage/permission-repository.js";
import { snapshotRepository } from "../storage/snapshot-repository.js";
import { volumeRepository } from "../storage/volume-repository.js";
import type { SnapshotRecord } from "./snapshot-model.js";
import { datedSnapshotId, latestRunAtOrBefore, nextRunAfter, prunedByRetention, readRetention } from "./snapshot-schedule.js";
import type { SnapshotService } from "./snapshot-service.js";

export interface SnapshotSchedulerDeps {
  db: Database;
  now: () => number;
  work: StorageWork;
  snapshots: SnapshotService;
  logger: Logger;
}

/**
 * Runs snapshot schedules; called on every pass of the storage upkeep, so on
 * one replica at a time. A due schedule makes one new, dated snapshot of its
 * source (with the schedule's grants; the copy is made beside the pass) and
 * moves its next run past now: runs missed while nothing ran come to one
 * copy on recovery, not one per missed run. Then every schedule's retention
 * policy prunes what it made.
 */
export class SnapshotScheduler {
  constructor(private readonly deps: SnapshotSchedulerDeps) {}

  async runDue(): Promise<void> {
    const now = this.deps.now();
    for (const schedule of await this.deps.db.read((m) => snapshotRepository.dueSchedules(m, now, 100))) {
      await this.run(schedule, now).catch((error: unknown) =>
        this.deps.logger.warn("snapshot schedule run failed", { tenant: schedule.tenantId, snapshot: schedule.snapshotId, error: String(error) }),
      );
    }
    for (const schedule of await this.deps.db.read((m) => withRetention(m))) {
      await this.prune(schedule, now).catch((error: unknown) =>
        this.deps.logger.warn("snapshot retention failed", { tenant: schedule.tenantId, snapshot: schedule.snapshotId, error: String(error) }),
      );
    }
  }

  private async run(schedule: SnapshotRecord, now: number): Promise<void> {
    const runAt = latestRunAtOrBefore(schedule.cron, now);
    const id = datedSnapshotId(schedule.snapshotId, runAt);
    const made = await this.deps.db.transaction(async (tx) => {
      const current = await snapshotRepository.findForUpdate(tx, schedule.tenantId, schedule.snapshotId);
      if (!current?.cron || current.nextRunTs === null || current.nextRunTs > now) return false;
      await snapshotRepository.update(tx, schedule.tenantId, schedule.snapshotId, { nextRunTs: nextRunAfter(current.cron, now) });
      if (await snapshotRepository.find(tx, schedule.tenantId, id)) return false;
      const volume = await volumeRepository.find(tx, schedule.tenantId, current.sourceVolumeId);
      if (volume?.status !== "AVAILABLE") {
        this.deps.logger.warn("snapshot schedule skipped a run: its source volume is not available", { tenant: schedule.tenantId, snapshot: schedule.snapshotId });
        return false;
      }
      await snapshotRepository.insert(tx, {
        ...current,
        snapshotId: id,
        clusterId: volume.clusterId,
        description: `Made by the schedule of snapshot '${current.snapshotId}' at ${new Date(runAt).toISOString()}.`,
        cron: "",
        retentionPolicy: "",
        nextRunTs: null,
        scheduleId: current.snapshotId,
        sizeBytes: 0,
        status: "REQUESTED",
        statusReason: "",
        creationTs: now,
        updateTs: now,
        ...this.deps.work.claimOnInsert(),
      });
      for (const grant of await permissionRepository.list(tx, schedule.tenantId, "snapshot", current.snapshotId)) {
        const at = grant.lastIndexOf(":");
        await permissionRepository.set(tx, schedule.tenantId, "snapshot", id, grant.slice(0, at), grant.slice(at + 1) as LevelName);
      }
      return true;
    });
    // The copy goes on beside the pass: a large one must not hold back other schedules. Its row's
    // claim keeps any other replica off it, and a replica that dies leaves it to the next sweep.
    if (made) {
      void this.deps.work.settle("snapshot", { tenantId: schedule.tenantId, id }).catch((error: unknown) =>
        this.deps.logger.warn("scheduled snapshot copy failed", { tenant: schedule.tenantId, snapshot: id, error: String(error) }),
      );
    }
  }

  private async prune(schedule: SnapshotRecord, now: number): Promise<void> {
    const policy = readRetention(schedule.retentionPolicy);
    if ("rule" in policy) return;
    const made = (await this.deps.db.read((m) => snapshotRepository.madeBy(m, schedule.tenantId, schedule.snapshotId))).filter((s) => s.status !== "DELETING");
    const pruned = prunedByRetention(policy, made.map((s) => ({ id: s.snapshotId, madeAt: s.creationTs })), now);
    for (const id of pruned) {
      try {
        await this.deps.snapshots.markDeleting(schedule.tenantId, id);
      } catch (error) {
        // A copy a running pod mounts is pruned on a later pass, once the pod has stopped.
        this.deps.logger.info("retention left a snapshot for now", { tenant: schedule.tenantId, snapshot: id, reason: String(error) });
        continue;
      }
      await this.deps.work.settle("snapshot", { tenantId: schedule.tenantId, id });
    }
  }
}

/** Schedules with a retention policy (of every tenant). */
function withRetention(m: EntityManager): Promise<SnapshotRecord[]> {
  return m.find(SnapshotEntity, { where: { retentionPolicy: Not("") } });
}
