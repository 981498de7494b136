import { Not, type EntityManager } from "typeorm";
import type { PodFields } from "../pods/pod-model.js";
import { PodEntity } from "../storage/entities/pod-entity.js";
import { derivePodFields } from "../templates/template-resolver.js";
import { mounterOf, mountsReadOnly, storageMountsOf } from "./mount-owners.js";
import type { StorageObjectKind } from "./storage-object.js";

const mountTypes: Record<StorageObjectKind, string> = { volume: "tapisvolume", snapshot: "tapissnapshot" };

/** The pods of a tenant, not STOPPED, that mount the volume or snapshot `id` (with their templates' mounts), by id. */
export async function podsMounting(m: EntityManager, tenantId: string, kind: StorageObjectKind, id: string): Promise<string[]> {
  const pods = await m.find(PodEntity, { where: { tenantId, status: Not("STOPPED") }, order: { podId: "ASC" } });
  const templates = new Map<string, PodFields>();
  const users: string[] = [];
  for (const pod of pods) {
    const fields = await derivePodFields(m, tenantId, pod.fields, pod.templateVersion, templates).catch(() => pod.fields);
    if (Object.values(fields.volume_mounts ?? {}).some((mount) => mount?.type === mountTypes[kind] && mount.source_id === id)) users.push(pod.podId);
  }
  return users;
}

/** One mount of a volume or snapshot by a pod: where, whether read-only, and who mounted it. */
export interface MountUse {
  podId: string;
  mountPath: string;
  readOnly: boolean;
  user: string;
}

/**
 * Every mount, by pods of the tenant in any status (their templates' mounts
 * included), of the objects of `kind` named in `ids`: by object id, ordered
 * by pod and mount path.
 */
export async function mountUses(m: EntityManager, tenantId: string, kind: StorageObjectKind, ids: ReadonlySet<string>): Promise<Map<string, MountUse[]>> {
  const uses = new Map<string, MountUse[]>([...ids].map((id) => [id, []]));
  const pods = await m.find(PodEntity, { where: { tenantId }, order: { podId: "ASC" } });
  const templates = new Map<string, PodFields>();
  for (const pod of pods) {
    const fields = await derivePodFields(m, tenantId, pod.fields, pod.templateVersion, templates).catch(() => pod.fields);
    for (const [mountPath, mount] of storageMountsOf(fields.volume_mounts).sort(([a], [b]) => a.localeCompare(b))) {
      if (mount.type !== mountTypes[kind] || !ids.has(mount.source_id!)) continue;
      uses.get(mount.source_id!)!.push({ podId: pod.podId, mountPath, readOnly: mountsReadOnly(mount), user: mounterOf(pod, mountPath) ?? "" });
    }
  }
  return uses;
}
