import { LessThan, MoreThan, type EntityManager } from "typeorm";
import { PodChangeEntity, type PodChangeRow } from "./entities/pod-change-entity.js";
import { PreparedInsert } from "./prepared-writes.js";

const changeInsert = new PreparedInsert(PodChangeEntity);

/** The numbered log of pod changes that watches read. */
export const podChangeRepository = {
  async record(m: EntityManager, tenantId: string, podId: string, deleted: boolean, at: number): Promise<void> {
    await changeInsert.insert(m, [{ tenantId, podId, deleted, at }]);
  },

  /** Changes after `revision`, oldest first. */
  after(m: EntityManager, revision: number, limit: number): Promise<PodChangeRow[]> {
    return m.find(PodChangeEntity, { where: { revision: MoreThan(revision) }, order: { revision: "ASC" }, take: limit });
  },

  /** The newest revision, 0 when none. */
  async latest(m: EntityManager): Promise<number> {
    const [row] = await m.find(PodChangeEntity, { order: { revision: "DESC" }, take: 1, select: { revision: true } });
    return row?.revision ?? 0;
  },

  /** The oldest revision still kept, or null when none is. */
  async oldest(m: EntityManager): Promise<number | null> {
    const [row] = await m.find(PodChangeEntity, { order: { revision: "ASC" }, take: 1, select: { revision: true } });
    return row?.revision ?? null;
  },

  /** Forgets changes older than `before`. */
  async trim(m: EntityManager, before: number): Promise<void> {
    await m.delete(PodChangeEntity, { at: LessThan(before) });
  },
};
