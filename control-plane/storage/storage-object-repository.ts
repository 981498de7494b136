import { In, LessThan, type EntityManager, type EntitySchema, type FindOptionsWhere } from "typeorm";
import { pendingStatuses, type StorageObjectRecord } from "../files/storage-object.js";
import { PermissionEntity, type ObjectKind } from "./entities/permission-entity.js";

/** A volume or snapshot key. */
export interface ObjectKey {
  tenantId: string;
  id: string;
}

/**
 * Reads and writes of one table of storage objects (volumes or snapshots),
 * which share their columns apart from the id's name.
 */
export function storageObjectRepository<R extends StorageObjectRecord>(entity: EntitySchema<R>, idKey: keyof R & string, kind: ObjectKind) {
  const where = (tenantId: string, id: string, extra: Record<string, unknown> = {}) =>
    ({ tenantId, [idKey]: id, ...extra }) as unknown as FindOptionsWhere<R>;
  const keyOf = (row: R): ObjectKey => ({ tenantId: row.tenantId, id: row[idKey] as unknown as string });

  const repository = {
    keyOf,

    find(m: EntityManager, tenantId: string, id: string): Promise<R | null> {
      return m.findOne(entity, { where: where(tenantId, id) });
    },

    /** Reads the row and holds it until commit (MySQL); SQLite runs one transaction at a time. */
    findForUpdate(tx: EntityManager, tenantId: string, id: string): Promise<R | null> {
      if (tx.connection.options.type === "better-sqlite3") return repository.find(tx, tenantId, id);
      return tx.findOne(entity, { where: where(tenantId, id), lock: { mode: "pessimistic_write" } });
    },

    async insert(m: EntityManager, record: R): Promise<void> {
      await m.insert(entity, record as never);
    },

    async update(m: EntityManager, tenantId: string, id: string, changes: Partial<R>): Promise<void> {
      if (Object.keys(changes).length > 0) await m.update(entity, where(tenantId, id), changes as never);
    },

    /** Removes the row and its grants. */
    async delete(m: EntityManager, tenantId: string, id: string): Promise<void> {
      await m.delete(entity, where(tenantId, id));
      await m.delete(PermissionEntity, { tenantId, objectKind: kind, objectId: id });
    },

    /** The objects of a tenant on which `username` holds any permission, by id. */
    async listVisibleTo(m: EntityManager, tenantId: string, username: string): Promise<R[]> {
      const grants = await m.find(PermissionEntity, { where: { tenantId, objectKind: kind, username }, select: { objectId: true } });
      if (grants.length === 0) return [];
      return m.find(entity, { where: { tenantId, [idKey]: In(grants.map((g) => g.objectId)) } as unknown as FindOptionsWhere<R>, order: { [idKey]: "ASC" } as never });
    },

    /**
     * Claims the object's pending work (REQUESTED or DELETING) for `holder`
     * until `until`, unless another holds an unexpired claim; the row as
     * claimed, or null.
     */
    async claim(m: EntityManager, key: ObjectKey, holder: string, now: number, until: number): Promise<R | null> {
      const result = await m.update(entity, where(key.tenantId, key.id, { status: In([...pendingStatuses]), claimedUntil: LessThan(now) }), {
        claimedBy: holder,
        claimedUntil: until,
      } as never);
      if ((result.affected ?? 0) === 0) return null;
      return repository.find(m, key.tenantId, key.id);
    },

    /** Ends `holder`'s claim, so the work is taken up again at once. */
    async release(m: EntityManager, key: ObjectKey, holder: string): Promise<void> {
      await m.update(entity, where(key.tenantId, key.id, { claimedBy: holder }), { claimedBy: null, claimedUntil: 0 } as never);
    },

    /** Objects with pending work nobody holds a claim on, oldest change first. */
    async unclaimedPending(m: EntityManager, now: number, limit: number): Promise<ObjectKey[]> {
      const rows = await m.find(entity, {
        where: { status: In([...pendingStatuses]), claimedUntil: LessThan(now) } as unknown as FindOptionsWhere<R>,
        order: { updateTs: "ASC" } as never,
        take: limit,
      });
      return rows.map(keyOf);
    },

    /** Every AVAILABLE object of a cluster, by tenant and id. */
    available(m: EntityManager): Promise<R[]> {
      return m.find(entity, { where: { status: "AVAILABLE" } as unknown as FindOptionsWhere<R> });
    },
  };
  return repository;
}
