import type { EntityManager } from "typeorm";
import type { Caller } from "../auth/caller.js";
import type { ObjectAccess } from "../authz/object-access.js";
import { levelAtLeast } from "../authz/levels.js";
import { presentFields, refuseUnchanged } from "../errors/unchanged.js";
import {
  AlreadyExistsError,
  ConflictError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  ProblemList,
  StorageFailedError,
} from "../errors/domain-errors.js";
import { podsMounting } from "../files/mount-users.js";
import { inClientTerms } from "../files/storage-failures.js";
import type { ObjectOnCluster, StorageFiles } from "../files/storage-files.js";
import { validateObjectDescription, validateSizeLimit, validateStorageId, storagePathOf } from "../files/storage-rules.js";
import type { StorageWork } from "../files/storage-work.js";
import type { Database } from "../storage/database.js";
import { isDuplicateKeyError } from "../storage/duplicate-key.js";
import { permissionRepository } from "../storage/permission-repository.js";
import { snapshotRepository } from "../storage/snapshot-repository.js";
import { volumeRepository } from "../storage/volume-repository.js";
import { volumeDefaults } from "../volumes/volume-model.js";
import type { SnapshotRecord } from "./snapshot-model.js";
import { cronProblem, nextRunAfter, readRetention } from "./snapshot-schedule.js";

export interface SnapshotServiceDeps {
  db: Database;
  now: () => number;
  work: StorageWork;
  files: StorageFiles;
  objects: ObjectAccess;
  maxSizeLimitMb: number;
  /** How long a create waits for its copy before answering with the snapshot still REQUESTED. */
  inlineCopyMs: number;
}

/** What a snapshot create request sets. */
export interface NewSnapshot {
  snapshotId: string;
  sourceVolumeId: string;
  sourceVolumePath: string;
  destinationPath: string;
  description: string;
  sizeLimitMb?: number;
  cron: string;
  retentionPolicy: string;
}

/** The fields an update sets; absent ones stay. The source never changes: recreate the snapshot instead. */
export interface SnapshotPatch {
  description?: string;
  sizeLimitMb?: number;
  cron?: string;
  retentionPolicy?: string;
}

/**
 * The snapshot use cases: a copy of a volume's file or folder, made by the
 * agent (StorageWork) as it is at that moment, and read-only afterwards;
 * with `cron`, also a schedule of further copies (SnapshotScheduler).
 */
export class SnapshotService {
  constructor(private readonly deps: SnapshotServiceDeps) {}

  async create(caller: Caller, request: NewSnapshot): Promise<SnapshotRecord> {
    const problems = new ProblemList();
    validateStorageId("snapshot_id", request.snapshotId, problems);
    validateStorageId("source_volume_id", request.sourceVolumeId, problems);
    const sourceParts = storagePathOf("source_volume_path", request.sourceVolumePath, "root", "volume", problems);
    if (request.destinationPath !== "") storagePathOf("destination_path", request.destinationPath, "root", "snapshot", problems);
    validateObjectDescription(request.description, problems);
    const sizeLimitMb = request.sizeLimitMb ?? volumeDefaults.sizeLimitMb;
    validateSizeLimit(sizeLimitMb, this.deps.maxSizeLimitMb, problems);
    validateSchedule(request.cron, request.retentionPolicy, problems);
    problems.throwIfAny();

    const volume = await this.sourceVolume(caller, request.sourceVolumeId);
    const source: ObjectOnCluster = { kind: "volume", tenantId: caller.tenantId, id: volume.volumeId, clusterId: volume.clusterId };
    const shown = sourceParts!.join("/");
    try {
      const entry = await this.deps.files.stat(source, shown);
      if (entry.type === "file" && request.destinationPath === "") throw new InvalidArgumentError("destination_path", "is required when source_volume_path is a file");
    } catch (error) {
      if (error instanceof StorageFailedError && error.problem === "not-found") {
        throw new InvalidArgumentError("source_volume_path", `'${shown}' does not exist in volume '${volume.volumeId}'`);
      }
      throw inClientTerms(error, { field: "source_volume_path", kind: "volume", id: volume.volumeId, path: shown });
    }

    const now = this.deps.now();
    const record: SnapshotRecord = {
      tenantId: caller.tenantId,
      snapshotId: request.snapshotId,
      clusterId: volume.clusterId,
      sourceVolumeId: request.sourceVolumeId,
      sourceVolumePath: request.sourceVolumePath,
      destinationPath: request.destinationPath,
      description: request.description,
      sizeLimitMb,
      sizeBytes: 0,
      cron: request.cron.trim(),
      retentionPolicy: request.retentionPolicy.trim(),
      nextRunTs: request.cron.trim() ? nextRunAfter(request.cron, now) : null,
      scheduleId: null,
      status: "REQUESTED",
      statusReason: "",
      creationTs: now,
      updateTs: now,
      ...this.deps.work.claimOnInsert(),
    };
    try {
      await this.deps.db.transaction(async (tx) => {
        if (await snapshotRepository.find(tx, caller.tenantId, request.snapshotId)) throw new AlreadyExistsError("snapshot", request.snapshotId);
        await snapshotRepository.insert(tx, record);
        await permissionRepository.set(tx, caller.tenantId, "snapshot", request.snapshotId, caller.username, "ADMIN");
      });
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new AlreadyExistsError("snapshot", request.snapshotId);
      throw error;
    }
    await this.copyAwhile(caller.tenantId, request.snapshotId);
    return this.get(caller, request.snapshotId);
  }

  get(caller: Caller, snapshotId: string): Promise<SnapshotRecord> {
    return this.deps.db.read((m) => this.find(m, caller.tenantId, snapshotId));
  }

  list(caller: Caller): Promise<SnapshotRecord[]> {
    return this.deps.db.read((m) => snapshotRepository.listVisibleTo(m, caller.tenantId, caller.username));
  }

  async update(caller: Caller, snapshotId: string, patch: SnapshotPatch): Promise<SnapshotRecord> {
    const problems = new ProblemList();
    if (patch.description !== undefined) validateObjectDescription(patch.description, problems);
    if (patch.sizeLimitMb !== undefined) validateSizeLimit(patch.sizeLimitMb, this.deps.maxSizeLimitMb, problems);
    validateSchedule(patch.cron ?? "", patch.retentionPolicy ?? "", problems);
    problems.throwIfAny();
    const now = this.deps.now();
    return this.deps.db.transaction(async (tx) => {
      const snapshot = await this.find(tx, caller.tenantId, snapshotId, true);
      const given = presentFields({ description: patch.description, size_limit: patch.sizeLimitMb, cron: patch.cron, retention_policy: patch.retentionPolicy });
      const changed = presentFields({
        description: patch.description !== snapshot.description ? patch.description : undefined,
        size_limit: patch.sizeLimitMb !== snapshot.sizeLimitMb ? patch.sizeLimitMb : undefined,
        cron: patch.cron?.trim() !== snapshot.cron ? patch.cron : undefined,
        retention_policy: patch.retentionPolicy?.trim() !== snapshot.retentionPolicy ? patch.retentionPolicy : undefined,
      });
      refuseUnchanged("snapshot", snapshotId, given, changed);
      const changes: Partial<SnapshotRecord> = { updateTs: now };
      if (patch.description !== undefined) changes.description = patch.description;
      if (patch.sizeLimitMb !== undefined) changes.sizeLimitMb = patch.sizeLimitMb;
      if (patch.retentionPolicy !== undefined) changes.retentionPolicy = patch.retentionPolicy.trim();
      if (patch.cron !== undefined && patch.cron.trim() !== snapshot.cron) {
        changes.cron = patch.cron.trim();
        changes.nextRunTs = changes.cron ? nextRunAfter(changes.cron, now) : null;
      }
      await snapshotRepository.update(tx, caller.tenantId, snapshotId, changes);
      return { ...snapshot, ...changes };
    });
  }

  /** As VolumeService.delete: refused while a pod that is not STOPPED mounts it; true once gone. */
  async delete(caller: Caller, snapshotId: string): Promise<boolean> {
    await this.markDeleting(caller.tenantId, snapshotId);
    await this.deps.work.settle("snapshot", { tenantId: caller.tenantId, id: snapshotId });
    return (await this.deps.db.read((m) => snapshotRepository.find(m, caller.tenantId, snapshotId))) === null;
  }

  /** Starts the removal of a snapshot (its row shows DELETING until its folder is gone). */
  async markDeleting(tenantId: string, snapshotId: string): Promise<void> {
    const now = this.deps.now();
    await this.deps.db.transaction(async (tx) => {
      await this.find(tx, tenantId, snapshotId, true);
      const users = await podsMounting(tx, tenantId, "snapshot", snapshotId);
      if (users.length > 0) throw new ConflictError(`snapshot '${snapshotId}' is mounted by pods that are not STOPPED: ${users.join(", ")}; stop them first`);
      await snapshotRepository.update(tx, tenantId, snapshotId, { status: "DELETING", statusReason: "", updateTs: now, ...this.deps.work.claimOnInsert() });
    });
  }

  /** The snapshot's place on its cluster's storage, for its files. */
  async placeOf(caller: Caller, snapshotId: string): Promise<{ object: ObjectOnCluster; record: SnapshotRecord }> {
    const record = await this.get(caller, snapshotId);
    return { object: { kind: "snapshot", tenantId: caller.tenantId, id: snapshotId, clusterId: record.clusterId }, record };
  }

  /**
   * Makes the copy now, waiting for it a while: a small copy is AVAILABLE
   * in the answer, a large one goes on after it (and the status tells).
   */
  private async copyAwhile(tenantId: string, snapshotId: string): Promise<void> {
    const copying = this.deps.work.settle("snapshot", { tenantId, id: snapshotId });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([copying, new Promise((resolve) => (timer = setTimeout(resolve, this.deps.inlineCopyMs)))]);
    clearTimeout(timer);
  }

  /** The source volume, which the caller must be allowed to read the files of (USER) and which must be AVAILABLE. */
  private async sourceVolume(caller: Caller, volumeId: string) {
    const volume = await this.deps.db.read((m) => volumeRepository.find(m, caller.tenantId, volumeId));
    if (!volume) throw new InvalidArgumentError("source_volume_id", `volume '${volumeId}' does not exist`);
    const level = await this.deps.objects.levelOf(caller, "volume", volumeId);
    if (!levelAtLeast(level, "USER")) {
      throw new PermissionDeniedError(`source_volume_id: USER permission on volume '${volumeId}' is required to snapshot it; you have ${level ?? "no permission"}`);
    }
    if (volume.status !== "AVAILABLE") throw new FailedPreconditionError(`source_volume_id: volume '${volumeId}' is ${volume.status}; it can be snapshotted once it is AVAILABLE`);
    return volume;
  }

  private async find(m: EntityManager, tenantId: string, snapshotId: string, forUpdate = false): Promise<SnapshotRecord> {
    const snapshot = forUpdate ? await snapshotRepository.findForUpdate(m, tenantId, snapshotId) : await snapshotRepository.find(m, tenantId, snapshotId);
    if (!snapshot) throw new NotFoundError("snapshot", snapshotId);
    return snapshot;
  }
}

function validateSchedule(cron: string, retentionPolicy: string, problems: ProblemList): void {
  if (cron.trim() !== "") {
    const problem = cronProblem(cron);
    if (problem) problems.add("cron", problem);
  }
  const retention = readRetention(retentionPolicy);
  if ("rule" in retention) problems.add("retention_policy", retention.rule);
}
