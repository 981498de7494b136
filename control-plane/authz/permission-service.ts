import type { EntityManager } from "typeorm";
import type { Caller } from "../auth/caller.js";
import { FailedPreconditionError, NotFoundError, ProblemList, UnimplementedError } from "../errors/domain-errors.js";
import type { Database } from "../storage/database.js";
import type { LevelName, ObjectKind } from "../storage/entities/permission-entity.js";
import { permissionRepository } from "../storage/permission-repository.js";
import { levelNames } from "./levels.js";

/** How sharing touches one kind of object. */
export interface SharedKind {
  /** Whether the object exists; on MySQL it also locks the object's row until commit. */
  lockIfExists(tx: EntityManager, tenantId: string, objectId: string): Promise<boolean>;
  /** Records a permission change in the object's history (pods keep action logs). */
  audit?(tx: EntityManager, tenantId: string, objectId: string, message: string, now: number): Promise<void>;
  /**
   * Whether `user` names a group rather than one user (templates:
   * "tenant.<id>", "**"); throws when the caller may not grant it `level`.
   */
  isGroupGrantee?(caller: Caller, user: string, level: string): boolean;
}

const usernamePattern = /^[A-Za-z0-9_.@+-]{1,128}$/;

/**
 * Sharing: who holds which level on an object. An object always keeps at
 * least one ADMIN, so it can never become unmanageable.
 */
export class PermissionService {
  constructor(
    private readonly db: Database,
    private readonly now: () => number,
    private readonly kinds: Partial<Record<ObjectKind, SharedKind>>,
  ) {}

  list(caller: Caller, kind: ObjectKind, objectId: string): Promise<string[]> {
    return this.db.read((m) => permissionRepository.list(m, caller.tenantId, kind, objectId));
  }

  async set(caller: Caller, kind: ObjectKind, objectId: string, user: string, level: string): Promise<string[]> {
    const problems = new ProblemList();
    const group = this.kinds[kind]?.isGroupGrantee?.(caller, user, level) ?? false;
    if (!group && !usernamePattern.test(user)) problems.add("user", "must be 1-128 letters, digits or . _ @ + -");
    if (!(levelNames as string[]).includes(level)) problems.add("level", `must be one of ${levelNames.join(", ")}`);
    problems.throwIfAny();
    const now = this.now();
    return this.db.transaction(async (tx) => {
      await this.lockObject(tx, caller.tenantId, kind, objectId);
      const current = await permissionRepository.levelOf(tx, caller.tenantId, kind, objectId, user);
      if (current === "ADMIN" && level !== "ADMIN") await this.keepOneAdmin(tx, caller.tenantId, kind, objectId, user);
      await permissionRepository.set(tx, caller.tenantId, kind, objectId, user, level as LevelName);
      await this.kinds[kind]?.audit?.(tx, caller.tenantId, objectId, `Permission ${user}:${level} set by ${caller.username}.`, now);
      return permissionRepository.list(tx, caller.tenantId, kind, objectId);
    });
  }

  async remove(caller: Caller, kind: ObjectKind, objectId: string, user: string): Promise<string[]> {
    const now = this.now();
    return this.db.transaction(async (tx) => {
      await this.lockObject(tx, caller.tenantId, kind, objectId);
      const current = await permissionRepository.levelOf(tx, caller.tenantId, kind, objectId, user);
      if (current === null) throw new NotFoundError("permission", `${user} on ${kind} ${objectId}`);
      if (current === "ADMIN") await this.keepOneAdmin(tx, caller.tenantId, kind, objectId, user);
      await permissionRepository.remove(tx, caller.tenantId, kind, objectId, user);
      await this.kinds[kind]?.audit?.(tx, caller.tenantId, objectId, `Permission of ${user} removed by ${caller.username}.`, now);
      return permissionRepository.list(tx, caller.tenantId, kind, objectId);
    });
  }

  /** The object may have been deleted since access was checked; never grant on a ghost. */
  private async lockObject(tx: EntityManager, tenantId: string, kind: ObjectKind, objectId: string): Promise<void> {
    const shared = this.kinds[kind];
    if (!shared) throw new UnimplementedError(`sharing ${kind}s is not available in this version`);
    if (!(await shared.lockIfExists(tx, tenantId, objectId))) throw new NotFoundError(kind, objectId);
  }

  private async keepOneAdmin(tx: EntityManager, tenantId: string, kind: ObjectKind, objectId: string, user: string): Promise<void> {
    if ((await permissionRepository.countAdmins(tx, tenantId, kind, objectId)) <= 1) {
      throw new FailedPreconditionError(`${user} is the last ADMIN of ${kind} '${objectId}'; grant ADMIN to someone else first`);
    }
  }
}
