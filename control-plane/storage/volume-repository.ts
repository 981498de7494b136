import { VolumeEntity } from "./entities/volume-entity.js";
import { storageObjectRepository } from "./storage-object-repository.js";

/** Reads and writes of volumes and their grants. */
export const volumeRepository = storageObjectRepository(VolumeEntity, "volumeId", "volume");
