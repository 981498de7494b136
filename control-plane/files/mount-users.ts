import { Not, type EntityManager } from "typeorm";
import type { PodFields } from "../pods/pod-model.js";
import { PodEntity } from "../storage/entities/pod-entity.js";
import { derivePodFields } from "../templates/template-resolver.js";
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
