import { EntitySchema } from "typeorm";
import type { SnapshotRecord } from "../../snapshots/snapshot-model.js";
import { epochMillis, longText, shortText } from "./column-types.js";
import { storageObjectColumns } from "./storage-object-columns.js";

/** Table `snapshots`: one row per snapshot of a tenant. */
export const SnapshotEntity = new EntitySchema<SnapshotRecord>({
  name: "Snapshot",
  tableName: "snapshots",
  columns: {
    ...storageObjectColumns(),
    snapshotId: { ...shortText(64), primary: true, name: "snapshot_id" },
    sourceVolumeId: { ...shortText(64), name: "source_volume_id" },
    sourceVolumePath: { ...longText(), name: "source_volume_path" },
    destinationPath: { ...longText(), name: "destination_path" },
    cron: shortText(128),
    retentionPolicy: { ...shortText(128), name: "retention_policy" },
    nextRunTs: { ...epochMillis(true), name: "next_run_ts" },
    scheduleId: { ...shortText(64, true), name: "schedule_id" },
  },
});
