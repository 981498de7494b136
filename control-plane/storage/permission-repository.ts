import type { EntityManager } from "typeorm";
import { PermissionEntity, type LevelName, type ObjectKind } from "./entities/permission-entity.js";
import { PreparedValues } from "./prepared-reads.js";

const levelOfUser = new PreparedValues<{ level: LevelName }>(
  (q) => `SELECT ${q("level")} FROM ${q("permissions")} WHERE ${q("tenant_id")} = ? AND ${q("object_kind")} = ? AND ${q("object_id")} = ? AND ${q("username")} = ?`,
);

const podAndLevelOfUser = new PreparedValues<{ level: LevelName | null }>(
  (q) =>
    `SELECT g.${q("level")} AS ${q("level")} FROM ${q("pods")} p LEFT JOIN ${q("permissions")} g ` +
    `ON g.${q("tenant_id")} = p.${q("tenant_id")} AND g.${q("object_kind")} = 'pod' AND g.${q("object_id")} = p.${q("pod_id")} AND g.${q("username")} = ? ` +
    `WHERE p.${q("tenant_id")} = ? AND p.${q("pod_id")} = ?`,
);

/** Grants on objects, stored as one row per (object, user). */
export const permissionRepository = {
  async levelOf(m: EntityManager, tenantId: string, objectKind: ObjectKind, objectId: string, username: string): Promise<LevelName | null> {
    const [row] = await levelOfUser.all(m, [tenantId, objectKind, objectId, username]);
    return row?.level ?? null;
  },

  /** Whether the pod exists and, if so, the level `username` holds on it: one statement for the check every pod call makes. */
  async levelOnPod(m: EntityManager, tenantId: string, podId: string, username: string): Promise<{ exists: false } | { exists: true; level: LevelName | null }> {
    const [row] = await podAndLevelOfUser.all(m, [username, tenantId, podId]);
    return row ? { exists: true, level: row.level ?? null } : { exists: false };
  },

  /** Every grant on one object as "<user>:<LEVEL>", sorted by user. */
  async list(m: EntityManager, tenantId: string, objectKind: ObjectKind, objectId: string): Promise<string[]> {
    const rows = await m.find(PermissionEntity, { where: { tenantId, objectKind, objectId }, order: { username: "ASC" } });
    return rows.map((r) => `${r.username}:${r.level}`);
  },

  async set(m: EntityManager, tenantId: string, objectKind: ObjectKind, objectId: string, username: string, level: LevelName): Promise<void> {
    await m.upsert(PermissionEntity, { tenantId, objectKind, objectId, username, level }, ["tenantId", "objectKind", "objectId", "username"]);
  },

  async remove(m: EntityManager, tenantId: string, objectKind: ObjectKind, objectId: string, username: string): Promise<boolean> {
    const result = await m.delete(PermissionEntity, { tenantId, objectKind, objectId, username });
    return (result.affected ?? 0) > 0;
  },

  async countAdmins(m: EntityManager, tenantId: string, objectKind: ObjectKind, objectId: string): Promise<number> {
    return m.count(PermissionEntity, { where: { tenantId, objectKind, objectId, level: "ADMIN" } });
  },
};
