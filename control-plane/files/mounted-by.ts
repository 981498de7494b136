import type { Caller } from "../auth/caller.js";
import type { ObjectAccess } from "../authz/object-access.js";
import { levelAtLeast } from "../authz/levels.js";
import type { Database } from "../storage/database.js";
import { podRepository } from "../storage/pod-repository.js";
import { mountUses, type MountUse } from "./mount-users.js";
import type { StorageObjectKind } from "./storage-object.js";

/**
 * Which pods mount a volume or snapshot (its mounted_by), as a caller may
 * see them: every one for those with ADMIN on the object (who grant its
 * use), else only pods the caller may read, so sharing a volume does not
 * show its users each other's pods.
 */
export class MountedBy {
  constructor(
    private readonly db: Database,
    private readonly objects: ObjectAccess,
  ) {}

  /** By object id, for each of `ids` (objects of the caller's tenant it may read). */
  async of(caller: Caller, kind: StorageObjectKind, ids: string[]): Promise<Map<string, MountUse[]>> {
    if (ids.length === 0) return new Map();
    return this.db.read(async (m) => {
      const uses = await mountUses(m, caller.tenantId, kind, new Set(ids));
      const readable = caller.serviceAdmin ? null : new Set((await podRepository.listVisibleTo(m, caller.tenantId, caller.username)).map((pod) => pod.podId));
      for (const id of ids) {
        if (readable === null || levelAtLeast(await this.objects.levelIn(m, caller, kind, id), "ADMIN")) continue;
        uses.set(id, uses.get(id)!.filter((use) => readable.has(use.podId)));
      }
      return uses;
    });
  }
}

/** A mount use as the contract's StorageMountUse. */
export function mountUseToProto(use: MountUse) {
  return { podId: use.podId, mountPath: use.mountPath, readOnly: use.readOnly, user: use.user };
}
