import type { EntityManager } from "typeorm";
import type { Caller } from "../auth/caller.js";
import { NotFoundError, PermissionDeniedError, UnimplementedError } from "../errors/domain-errors.js";
import type { Database } from "../storage/database.js";
import type { LevelName, ObjectKind } from "../storage/entities/permission-entity.js";
import { globalTenant } from "../storage/entities/template-entity.js";
import { permissionRepository } from "../storage/permission-repository.js";
import { podRepository } from "../storage/pod-repository.js";
import { SecretEntity } from "../storage/entities/secret-entity.js";
import { findTemplateFor } from "../templates/template-access.js";
import { snapshotRepository } from "../storage/snapshot-repository.js";
import { volumeRepository } from "../storage/volume-repository.js";
import { levelAtLeast } from "./levels.js";

/**
 * What level a caller holds on an object. Objects of another tenant do not
 * exist for the caller. Service admins hold ADMIN on every object of their
 * tenant. Templates have rules of their own (see findTemplateFor).
 */
export class ObjectAccess {
  constructor(private readonly db: Database) {}

  /** The caller's level on an existing object (null: none); NotFoundError if it does not exist. */
  levelOf(caller: Caller, kind: ObjectKind, id: string): Promise<LevelName | null> {
    return this.db.read((m) => this.levelIn(m, caller, kind, id));
  }

  /** levelOf, read within `m` (a transaction or read already open). */
  async levelIn(m: EntityManager, caller: Pick<Caller, "tenantId" | "username" | "serviceAdmin">, kind: ObjectKind, id: string): Promise<LevelName | null> {
    if (kind === "template") {
      const found = await findTemplateFor(m, caller, id);
      if (!found) throw new NotFoundError(kind, id);
      return found.level;
    }
    if (kind === "pod" && !caller.serviceAdmin) {
      const pod = await permissionRepository.levelOnPod(m, caller.tenantId, id, caller.username);
      if (!pod.exists) throw new NotFoundError(kind, id);
      return pod.level;
    }
    const owner = await this.owningTenant(m, caller.tenantId, kind, id);
    if (owner === null) throw new NotFoundError(kind, id);
    if (owner === globalTenant) return caller.serviceAdmin ? "ADMIN" : "READ";
    if (caller.serviceAdmin) return "ADMIN";
    return permissionRepository.levelOf(m, caller.tenantId, kind, id, caller.username);
  }

  /** Throws NotFoundError or PermissionDeniedError unless the caller holds `need`; returns the level held. */
  async require(caller: Caller, kind: ObjectKind, id: string, need: LevelName): Promise<LevelName> {
    const have = await this.levelOf(caller, kind, id);
    if (!levelAtLeast(have, need)) {
      throw new PermissionDeniedError(
        `${need} permission on ${kind} '${id}' is required; you have ${have ?? "no permission"}`,
      );
    }
    return have!;
  }

  private async owningTenant(m: EntityManager, tenantId: string, kind: ObjectKind, id: string): Promise<string | null> {
    switch (kind) {
      case "pod":
        return (await podRepository.find(m, tenantId, id)) ? tenantId : null;
      case "secret":
        return (await m.count(SecretEntity, { where: { tenantId, secretId: id } })) > 0 ? tenantId : null;
      case "volume":
        return (await volumeRepository.find(m, tenantId, id)) ? tenantId : null;
      case "snapshot":
        return (await snapshotRepository.find(m, tenantId, id)) ? tenantId : null;
      default:
        // Fail closed: a kind without an owner lookup cannot be authorised yet.
        throw new UnimplementedError(`${kind}s are not available in this version`);
    }
  }
}
