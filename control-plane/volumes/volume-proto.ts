import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { MountUse } from "../files/mount-users.js";
import { mountUseToProto } from "../files/mounted-by.js";
import { megabytesOf } from "../files/storage-object.js";
import type { VolumeRecord } from "./volume-model.js";

/** A volume as clients see it, with the pods that mount it as the caller may see them. */
export function volumeToProto(volume: VolumeRecord, mountedBy: MountUse[] = []) {
  return {
    volumeId: volume.volumeId,
    description: volume.description,
    sizeLimit: volume.sizeLimitMb,
    size: megabytesOf(volume.sizeBytes),
    status: volume.status,
    statusReason: volume.statusReason,
    creationTs: timestampFromMs(volume.creationTs),
    updateTs: timestampFromMs(volume.updateTs),
    mountedBy: mountedBy.map(mountUseToProto),
  };
}
