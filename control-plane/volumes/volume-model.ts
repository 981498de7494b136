import type { StorageObjectRecord } from "../files/storage-object.js";

/** A stored volume. */
export interface VolumeRecord extends StorageObjectRecord {
  volumeId: string;
}

/** Defaults and bounds of the volume fields. */
export const volumeDefaults = {
  sizeLimitMb: 1024,
} as const;
