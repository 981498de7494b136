import type { Caller } from "../auth/caller.js";
import type { ObjectAccess } from "../authz/object-access.js";
import { levelAtLeast } from "../authz/levels.js";
import { PermissionDeniedError, ProblemList } from "../errors/domain-errors.js";
import type { PodFields } from "../pods/pod-model.js";
import type { Database } from "../storage/database.js";
import { snapshotRepository } from "../storage/snapshot-repository.js";
import { volumeRepository } from "../storage/volume-repository.js";
import type { StorageObjectKind, StorageObjectRecord } from "./storage-object.js";

const kinds: Record<string, StorageObjectKind> = { tapisvolume: "volume", tapissnapshot: "snapshot" };

/**
 * The tapisvolume and tapissnapshot mounts a pod may have: of objects that
 * exist in its tenant, on the cluster the pod runs on, which the caller may
 * use — USER on a volume mounted read-write, READ on a snapshot or a volume
 * mounted read-only. Bad mounts are refused with 400, forbidden ones with
 * 403, each naming the mount.
 */
export class StorageMounts {
  constructor(
    private readonly db: Database,
    private readonly objects: ObjectAccess,
  ) {}

  async check(caller: Caller, mounts: PodFields["volume_mounts"], clusterId: string): Promise<void> {
    const problems = new ProblemList();
    const denials: string[] = [];
    for (const [path, mount] of Object.entries(mounts ?? {})) {
      const kind = mount ? kinds[mount.type] : undefined;
      if (!mount || !kind || !mount.source_id) continue;
      const at = `volume_mounts.${path}.source_id`;
      const id = mount.source_id;
      const record = await this.find(kind, caller.tenantId, id);
      if (!record || record.status === "DELETING") {
        problems.add(at, `${kind} '${id}' does not exist`);
        continue;
      }
      if (record.status === "ERROR") problems.add(at, `${kind} '${id}' is ERROR: ${record.statusReason}`);
      if (record.clusterId !== clusterId) problems.add(at, `${kind} '${id}' is on cluster '${record.clusterId}', and this pod runs on cluster '${clusterId}'`);
      const readOnly = mount.read_only ?? kind === "snapshot";
      const need = readOnly ? "READ" : "USER";
      const have = await this.objects.levelOf(caller, kind, id);
      if (!levelAtLeast(have, need)) {
        const how = kind === "snapshot" ? "" : readOnly ? " read-only" : " read-write";
        denials.push(`${at}: ${need} permission on ${kind} '${id}' is required to mount it${how}; you have ${have ?? "no permission"}`);
      }
    }
    problems.throwIfAny();
    if (denials.length > 0) throw new PermissionDeniedError(denials.join("; "));
  }

  private find(kind: StorageObjectKind, tenantId: string, id: string): Promise<StorageObjectRecord | null> {
    return this.db.read<StorageObjectRecord | null>((m) => (kind === "volume" ? volumeRepository.find(m, tenantId, id) : snapshotRepository.find(m, tenantId, id)));
  }
}
