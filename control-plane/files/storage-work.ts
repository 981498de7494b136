import type { EntityManager } from "typeorm";
import type { Logger } from "../../shared/logging/logger.js";
import { StorageFailedError } from "../errors/domain-errors.js";
import type { Database } from "../storage/database.js";
import { snapshotRepository } from "../storage/snapshot-repository.js";
import type { ObjectKey } from "../storage/storage-object-repository.js";
import { volumeRepository } from "../storage/volume-repository.js";
import type { SnapshotRecord } from "../snapshots/snapshot-model.js";
import type { StorageFiles } from "./storage-files.js";
import { mebibyte, pendingStatuses, type StorageObjectKind, type StorageObjectRecord, type StorageStatus } from "./storage-object.js";

export interface StorageWorkDeps {
  db: Database;
  files: StorageFiles;
  now: () => number;
  logger: Logger;
  /** This replica, as it signs its claims. */
  holder: string;
  /** How long a claim on an object's work lasts; longer than the slowest copy the agents are given. */
  claimMs: number;
}

/** What the work needs of the volumes' and the snapshots' tables alike. */
interface ObjectTable {
  find(m: EntityManager, tenantId: string, id: string): Promise<StorageObjectRecord | null>;
  findForUpdate(tx: EntityManager, tenantId: string, id: string): Promise<StorageObjectRecord | null>;
  claim(m: EntityManager, key: ObjectKey, holder: string, now: number, until: number): Promise<StorageObjectRecord | null>;
  release(m: EntityManager, key: ObjectKey, holder: string): Promise<void>;
  update(m: EntityManager, tenantId: string, id: string, changes: Partial<StorageObjectRecord>): Promise<void>;
  delete(m: EntityManager, tenantId: string, id: string): Promise<void>;
  unclaimedPending(m: EntityManager, now: number, limit: number): Promise<ObjectKey[]>;
}

const repositories: Record<StorageObjectKind, ObjectTable> = { volume: volumeRepository, snapshot: snapshotRepository };

/**
 * The agent work behind a volume's or snapshot's status: make its folder
 * (a snapshot: copy its source) while REQUESTED, remove it while DELETING.
 * Work on an object is claimed in its row first, so of all replicas (and
 * the request that asked for it) one does it at a time; a claim that runs
 * out (its replica died) lets another take the work up. Work that fails for
 * good (a refused path, a copy past its limit) leaves the object in ERROR
 * with the reason; work that could not be done now (no agent connected) is
 * released and done by a later sweep.
 */
export class StorageWork {
  constructor(private readonly deps: StorageWorkDeps) {}

  /** Claims the object's pending work for this replica; false when there is none or another holds it. */
  async claim(kind: StorageObjectKind, key: ObjectKey): Promise<boolean> {
    const now = this.deps.now();
    return (await this.deps.db.transaction((tx) => repositories[kind].claim(tx, key, this.deps.holder, now, now + this.deps.claimMs))) !== null;
  }

  /** A claim that a new row starts with (its insert claims it for this replica). */
  claimOnInsert(): { claimedBy: string; claimedUntil: number } {
    return { claimedBy: this.deps.holder, claimedUntil: this.deps.now() + this.deps.claimMs };
  }

  /** Does the pending work of an object this replica has claimed and records the outcome. */
  async settle(kind: StorageObjectKind, key: ObjectKey): Promise<void> {
    const row = await this.deps.db.read((m) => repositories[kind].find(m, key.tenantId, key.id));
    if (!row || row.claimedBy !== this.deps.holder || !pendingStatuses.includes(row.status)) return;
    const object = { kind, tenantId: key.tenantId, id: key.id, clusterId: row.clusterId };
    try {
      if (row.status === "DELETING") {
        await this.deps.files.remove(object);
        await this.deps.db.transaction(async (tx) => {
          if (await this.stillMine(kind, tx, key, "DELETING")) await repositories[kind].delete(tx, key.tenantId, key.id);
        });
        return;
      }
      if (kind === "volume") {
        await this.deps.files.createFolder(object);
        await this.record(kind, key, "REQUESTED", { status: "AVAILABLE", statusReason: "" });
        return;
      }
      const snapshot = row as unknown as SnapshotRecord;
      const source = { kind: "volume" as const, tenantId: key.tenantId, id: snapshot.sourceVolumeId, clusterId: row.clusterId };
      const bytes = await this.deps.files.copy(source, snapshot.sourceVolumePath, object, snapshot.destinationPath, snapshot.sizeLimitMb * mebibyte);
      await this.record(kind, key, "REQUESTED", { status: "AVAILABLE", statusReason: "", sizeBytes: bytes });
    } catch (error) {
      if (error instanceof StorageFailedError && error.problem !== "disk" && row.status === "REQUESTED") {
        await this.record(kind, key, "REQUESTED", { status: "ERROR", statusReason: this.reasonOf(kind, row, error) });
        return;
      }
      this.deps.logger.warn(`${kind} work failed; it will be retried`, { tenant: key.tenantId, [kind]: key.id, status: row.status, error: String(error) });
      await this.deps.db.transaction((tx) => repositories[kind].release(tx, key, this.deps.holder)).catch(() => undefined);
    }
  }

  /** Takes up pending work nobody holds (requests that could not finish it, replicas that died) and does it. */
  async sweep(limit = 50): Promise<void> {
    for (const kind of ["volume", "snapshot"] as const) {
      const keys = await this.deps.db.read((m) => repositories[kind].unclaimedPending(m, this.deps.now(), limit));
      for (const key of keys) if (await this.claim(kind, key)) await this.settle(kind, key);
    }
  }

  private reasonOf(kind: StorageObjectKind, row: StorageObjectRecord, error: StorageFailedError): string {
    if (kind === "volume") return `its folder could not be made: ${error.detail}`;
    const snapshot = row as unknown as SnapshotRecord;
    return `copying '${snapshot.sourceVolumePath || "/"}' of volume '${snapshot.sourceVolumeId}' failed: ${error.detail}`;
  }

  /** Writes the outcome of the work if the object still waits for it from this replica, and ends the claim. */
  private async record(kind: StorageObjectKind, key: ObjectKey, from: StorageStatus, changes: Partial<StorageObjectRecord>): Promise<void> {
    const now = this.deps.now();
    await this.deps.db.transaction(async (tx) => {
      if (!(await this.stillMine(kind, tx, key, from))) return;
      await repositories[kind].update(tx, key.tenantId, key.id, { ...changes, claimedBy: null, claimedUntil: 0, updateTs: now });
    });
  }

  private async stillMine(kind: StorageObjectKind, tx: EntityManager, key: ObjectKey, status: StorageStatus): Promise<boolean> {
    const row = await repositories[kind].findForUpdate(tx, key.tenantId, key.id);
    return row !== null && row.status === status && row.claimedBy === this.deps.holder;
  }
}
