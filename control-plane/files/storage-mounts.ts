import type { EntityManager } from "typeorm";
import type { Caller } from "../auth/caller.js";
import type { ObjectAccess } from "../authz/object-access.js";
import { levelAtLeast } from "../authz/levels.js";
import { PermissionDeniedError, ProblemList } from "../errors/domain-errors.js";
import type { PodFields, PodRecord } from "../pods/pod-model.js";
import type { Database } from "../storage/database.js";
import type { LevelName } from "../storage/entities/permission-entity.js";
import { snapshotRepository } from "../storage/snapshot-repository.js";
import { volumeRepository } from "../storage/volume-repository.js";
import { mounterOf, mountsReadOnly, storageKindOf, storageMountsOf } from "./mount-owners.js";
import type { StorageObjectKind, StorageObjectRecord } from "./storage-object.js";

/**
 * The tapisvolume and tapissnapshot mounts a pod may have: of objects that
 * exist in its tenant, on the cluster the pod runs on, which their mounter
 * may use — USER on a volume mounted read-write, READ on a snapshot or a
 * volume mounted read-only. Bad mounts are refused with 400, forbidden ones
 * with 403, each naming the mount; at start, a mount its mounter may no
 * longer use keeps the pod from starting.
 */
export class StorageMounts {
  constructor(
    private readonly db: Database,
    private readonly objects: ObjectAccess,
    /** Service administrators, as "<username>@<tenant>": ADMIN on every object of their tenant. */
    private readonly serviceAdmins: ReadonlySet<string> = new Set(),
  ) {}

  /** Checks `mounts` as the caller's; reads within `m` when given (inside a transaction). */
  async check(caller: Caller, mounts: PodFields["volume_mounts"], clusterId: string, m?: EntityManager): Promise<void> {
    if (storageMountsOf(mounts).length === 0) return;
    if (!m) return this.db.read((read) => this.check(caller, mounts, clusterId, read));
    const problems = new ProblemList();
    const denials: string[] = [];
    for (const [path, mount] of storageMountsOf(mounts)) {
      const kind = storageKindOf[mount.type]!;
      const at = `volume_mounts.${path}.source_id`;
      const id = mount.source_id!;
      const record = await find(m, kind, caller.tenantId, id);
      if (!record || record.status === "DELETING") {
        problems.add(at, `${kind} '${id}' does not exist`);
        continue;
      }
      if (record.status === "ERROR") problems.add(at, `${kind} '${id}' is ERROR: ${record.statusReason}`);
      if (record.clusterId !== clusterId) problems.add(at, `${kind} '${id}' is on cluster '${record.clusterId}', and this pod runs on cluster '${clusterId}'`);
      const denied = deniedUse(kind, id, mountsReadOnly(mount), await this.objects.levelIn(m, caller, kind, id), "you have");
      if (denied) denials.push(`${at}: ${denied}`);
    }
    problems.throwIfAny();
    if (denials.length > 0) throw new PermissionDeniedError(denials.join("; "));
  }

  /**
   * Why the pod must not start with the mounts of `effective`, or null:
   * the first volume or snapshot mount whose mounter (see mounterOf) may not
   * use it now — a grant revoked since, or a mount a base template added
   * since the pod was checked. Objects that are gone are left to the agent,
   * which finds no folder for them.
   */
  async refusalAtStart(m: EntityManager, pod: PodRecord, effective: PodFields): Promise<string | null> {
    for (const [path, mount] of storageMountsOf(effective.volume_mounts)) {
      const kind = storageKindOf[mount.type]!;
      const id = mount.source_id!;
      const user = mounterOf(pod, path);
      if (!user || !(await find(m, kind, pod.tenantId, id))) continue;
      const mounter = { tenantId: pod.tenantId, username: user, serviceAdmin: this.serviceAdmins.has(`${user}@${pod.tenantId}`) };
      const denied = deniedUse(kind, id, mountsReadOnly(mount), await this.objects.levelIn(m, mounter, kind, id), `${user} has`);
      if (denied) return `volume_mounts.${path}.source_id: ${denied}`;
    }
    return null;
  }
}

/** Why holding `have` does not allow the mount, or null when it does. */
function deniedUse(kind: StorageObjectKind, id: string, readOnly: boolean, have: LevelName | null, holder: string): string | null {
  const need = readOnly ? "READ" : "USER";
  if (levelAtLeast(have, need)) return null;
  const how = kind === "snapshot" ? "" : readOnly ? " read-only" : " read-write";
  return `${need} permission on ${kind} '${id}' is required to mount it${how}; ${holder} ${have ?? "no permission"}`;
}

function find(m: EntityManager, kind: StorageObjectKind, tenantId: string, id: string): Promise<StorageObjectRecord | null> {
  return kind === "volume" ? volumeRepository.find(m, tenantId, id) : snapshotRepository.find(m, tenantId, id);
}
