import { EntitySchema } from "typeorm";
import type { VolumeRecord } from "../../volumes/volume-model.js";
import { shortText } from "./column-types.js";
import { storageObjectColumns } from "./storage-object-columns.js";

/** Table `volumes`: one row per volume of a tenant. */
export const VolumeEntity = new EntitySchema<VolumeRecord>({
  name: "Volume",
  tableName: "volumes",
  columns: {
    ...storageObjectColumns(),
    volumeId: { ...shortText(64), primary: true, name: "volume_id" },
  },
});
