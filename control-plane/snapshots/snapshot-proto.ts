import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { MountUse } from "../files/mount-users.js";
import { mountUseToProto } from "../files/mounted-by.js";
import { megabytesOf } from "../files/storage-object.js";
import type { SnapshotRecord } from "./snapshot-model.js";

/** A snapshot as clients see it, with the pods that mount it as the caller may see them. */
export function snapshotToProto(snapshot: SnapshotRecord, mountedBy: MountUse[] = []) {
  return {
    snapshotId: snapshot.snapshotId,
    sourceVolumeId: snapshot.sourceVolumeId,
    sourceVolumePath: snapshot.sourceVolumePath,
    destinationPath: snapshot.destinationPath,
    description: snapshot.description,
    sizeLimit: snapshot.sizeLimitMb,
    cron: snapshot.cron,
    retentionPolicy: snapshot.retentionPolicy,
    size: megabytesOf(snapshot.sizeBytes),
    status: snapshot.status,
    statusReason: snapshot.statusReason,
    creationTs: timestampFromMs(snapshot.creationTs),
    updateTs: timestampFromMs(snapshot.updateTs),
    mountedBy: mountedBy.map(mountUseToProto),
  };
}
