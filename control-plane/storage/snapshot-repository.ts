import { LessThanOrEqual, Not, type EntityManager } from "typeorm";
import type { SnapshotRecord } from "../snapshots/snapshot-model.js";
import { SnapshotEntity } from "./entities/snapshot-entity.js";
import { storageObjectRepository } from "./storage-object-repository.js";

const objects = storageObjectRepository(SnapshotEntity, "snapshotId", "snapshot");

/** Reads and writes of snapshots, their grants and their schedules. */
export const snapshotRepository = {
  ...objects,

  /** Snapshots whose schedule is due to make a copy. */
  dueSchedules(m: EntityManager, now: number, limit: number): Promise<SnapshotRecord[]> {
    return m.find(SnapshotEntity, { where: { nextRunTs: LessThanOrEqual(now), cron: Not("") }, order: { nextRunTs: "ASC" }, take: limit });
  },

  /** The snapshots a schedule made, oldest first. */
  madeBy(m: EntityManager, tenantId: string, scheduleId: string): Promise<SnapshotRecord[]> {
    return m.find(SnapshotEntity, { where: { tenantId, scheduleId }, order: { creationTs: "ASC", snapshotId: "ASC" } });
  },
};
