import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { megabytesOf } from "../files/storage-object.js";
import type { VolumeRecord } from "./volume-model.js";

/** A volume as clients see it. */
export function volumeToProto(volume: VolumeRecord) {
  return {
    volumeId: volume.volumeId,
    description: volume.description,
    sizeLimit: volume.sizeLimitMb,
    size: megabytesOf(volume.sizeBytes),
    status: volume.status,
    statusReason: volume.statusReason,
    creationTs: timestampFromMs(volume.creationTs),
    updateTs: timestampFromMs(volume.updateTs),
  };
}
