import type { StorageObjectRecord } from "../files/storage-object.js";

/** A stored snapshot: a copy of a volume's file or folder, and optionally a schedule of further copies. */
export interface SnapshotRecord extends StorageObjectRecord {
  snapshotId: string;
  sourceVolumeId: string;
  /** Inside the source volume; "" for all of it. */
  sourceVolumePath: string;
  /** Where a single file lands inside the snapshot. */
  destinationPath: string;
  /** 5-field cron expression; "" when the snapshot repeats no copy. */
  cron: string;
  retentionPolicy: string;
  /** When the schedule next makes a copy (epoch ms); null without a schedule. */
  nextRunTs: number | null;
  /** The snapshot whose schedule made this one; null for one made by a user. */
  scheduleId: string | null;
}
