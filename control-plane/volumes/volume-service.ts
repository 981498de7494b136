import type { EntityManager } from "typeorm";
import type { Caller } from "../auth/caller.js";
import { AlreadyExistsError, ConflictError, InvalidArgumentError, NotFoundError, ProblemList } from "../errors/domain-errors.js";
import { presentFields, refuseUnchanged } from "../errors/unchanged.js";
import { podsMounting } from "../files/mount-users.js";
import type { StorageWork } from "../files/storage-work.js";
import { validateObjectDescription, validateSizeLimit, validateStorageId } from "../files/storage-rules.js";
import type { ObjectOnCluster } from "../files/storage-files.js";
import type { Database } from "../storage/database.js";
import { isDuplicateKeyError } from "../storage/duplicate-key.js";
import { permissionRepository } from "../storage/permission-repository.js";
import { volumeRepository } from "../storage/volume-repository.js";
import { volumeDefaults, type VolumeRecord } from "./volume-model.js";

export interface VolumeServiceDeps {
  db: Database;
  now: () => number;
  work: StorageWork;
  /** The cluster whose storage holds new volumes: the one serving the default compute queue. */
  homeCluster(): Promise<string | undefined>;
  /** The largest size_limit a volume may have, MB. */
  maxSizeLimitMb: number;
}

/** What a volume create request sets. */
export interface NewVolume {
  volumeId: string;
  description: string;
  sizeLimitMb?: number;
}

/** The fields an update sets; absent ones stay. */
export interface VolumePatch {
  description?: string;
  sizeLimitMb?: number;
}

/**
 * The volume use cases: records here, folders on the cluster's storage
 * through the agents (StorageWork). Callers are already authorised for the
 * volume they name (access-rules.ts).
 */
export class VolumeService {
  constructor(private readonly deps: VolumeServiceDeps) {}

  async create(caller: Caller, request: NewVolume): Promise<VolumeRecord> {
    const problems = new ProblemList();
    validateStorageId("volume_id", request.volumeId, problems);
    validateObjectDescription(request.description, problems);
    const sizeLimitMb = request.sizeLimitMb ?? volumeDefaults.sizeLimitMb;
    validateSizeLimit(sizeLimitMb, this.deps.maxSizeLimitMb, problems);
    problems.throwIfAny();
    const clusterId = await this.deps.homeCluster();
    if (!clusterId) throw new InvalidArgumentError("volume_id", "no cluster serves the default compute queue, whose storage holds volumes");
    const now = this.deps.now();
    const record: VolumeRecord = {
      tenantId: caller.tenantId,
      volumeId: request.volumeId,
      clusterId,
      description: request.description,
      sizeLimitMb,
      sizeBytes: 0,
      status: "REQUESTED",
      statusReason: "",
      creationTs: now,
      updateTs: now,
      ...this.deps.work.claimOnInsert(),
    };
    try {
      await this.deps.db.transaction(async (tx) => {
        if (await volumeRepository.find(tx, caller.tenantId, request.volumeId)) throw new AlreadyExistsError("volume", request.volumeId);
        await volumeRepository.insert(tx, record);
        await permissionRepository.set(tx, caller.tenantId, "volume", request.volumeId, caller.username, "ADMIN");
      });
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new AlreadyExistsError("volume", request.volumeId);
      throw error;
    }
    // Making the folder takes a moment; when no agent can do it now, a sweep does it later.
    await this.deps.work.settle("volume", { tenantId: caller.tenantId, id: request.volumeId });
    return this.get(caller, request.volumeId);
  }

  get(caller: Caller, volumeId: string): Promise<VolumeRecord> {
    return this.deps.db.read((m) => this.find(m, caller.tenantId, volumeId));
  }

  list(caller: Caller): Promise<VolumeRecord[]> {
    return this.deps.db.read((m) => volumeRepository.listVisibleTo(m, caller.tenantId, caller.username));
  }

  async update(caller: Caller, volumeId: string, patch: VolumePatch): Promise<VolumeRecord> {
    const problems = new ProblemList();
    if (patch.description !== undefined) validateObjectDescription(patch.description, problems);
    if (patch.sizeLimitMb !== undefined) validateSizeLimit(patch.sizeLimitMb, this.deps.maxSizeLimitMb, problems);
    problems.throwIfAny();
    const now = this.deps.now();
    return this.deps.db.transaction(async (tx) => {
      const volume = await this.find(tx, caller.tenantId, volumeId, true);
      const given = presentFields({ description: patch.description, size_limit: patch.sizeLimitMb });
      const changed = presentFields({
        description: patch.description !== volume.description ? patch.description : undefined,
        size_limit: patch.sizeLimitMb !== volume.sizeLimitMb ? patch.sizeLimitMb : undefined,
      });
      refuseUnchanged("volume", volumeId, given, changed);
      const changes: Partial<VolumeRecord> = { updateTs: now };
      if (patch.description !== undefined) changes.description = patch.description;
      if (patch.sizeLimitMb !== undefined) changes.sizeLimitMb = patch.sizeLimitMb;
      await volumeRepository.update(tx, caller.tenantId, volumeId, changes);
      return { ...volume, ...changes };
    });
  }

  /**
   * Deletes the volume and its folder, unless a pod that is not STOPPED
   * mounts it. The record goes once the agent has removed the folder; until
   * then (no agent connected) it shows DELETING. Resolves true when gone.
   */
  async delete(caller: Caller, volumeId: string): Promise<boolean> {
    const now = this.deps.now();
    await this.deps.db.transaction(async (tx) => {
      await this.find(tx, caller.tenantId, volumeId, true);
      const users = await podsMounting(tx, caller.tenantId, "volume", volumeId);
      if (users.length > 0) throw new ConflictError(`volume '${volumeId}' is mounted by pods that are not STOPPED: ${users.join(", ")}; stop them first`);
      await volumeRepository.update(tx, caller.tenantId, volumeId, { status: "DELETING", statusReason: "", updateTs: now, ...this.deps.work.claimOnInsert() });
    });
    await this.deps.work.settle("volume", { tenantId: caller.tenantId, id: volumeId });
    return (await this.deps.db.read((m) => volumeRepository.find(m, caller.tenantId, volumeId))) === null;
  }

  /** The volume's place on its cluster's storage, for its files. */
  async placeOf(caller: Caller, volumeId: string): Promise<{ object: ObjectOnCluster; record: VolumeRecord }> {
    const record = await this.get(caller, volumeId);
    return { object: { kind: "volume", tenantId: caller.tenantId, id: volumeId, clusterId: record.clusterId }, record };
  }

  /** Keeps the volume's size as the agent counted it after a write. */
  async noteSize(caller: Caller, volumeId: string, sizeBytes: number): Promise<void> {
    await this.deps.db.transaction((tx) => volumeRepository.update(tx, caller.tenantId, volumeId, { sizeBytes }));
  }

  private async find(m: EntityManager, tenantId: string, volumeId: string, forUpdate = false): Promise<VolumeRecord> {
    const volume = forUpdate ? await volumeRepository.findForUpdate(m, tenantId, volumeId) : await volumeRepository.find(m, tenantId, volumeId);
    if (!volume) throw new NotFoundError("volume", volumeId);
    return volume;
  }
}
