import { LessThan, LessThanOrEqual, MoreThanOrEqual, Not, IsNull, type EntityManager } from "typeorm";
import { GateAttemptEntity, GateAuditEntity, PodAccessTokenEntity, type GateAuditRow, type PodAccessTokenRow } from "./entities/access-gate-entities.js";

/** Pods' access tokens. */
export const accessTokenRepository = {
  async insert(m: EntityManager, row: PodAccessTokenRow): Promise<void> {
    await m.insert(PodAccessTokenEntity, row);
  },

  /** Newest first. */
  list(m: EntityManager, tenantId: string, podId: string): Promise<PodAccessTokenRow[]> {
    return m.find(PodAccessTokenEntity, { where: { tenantId, podId }, order: { createdAt: "DESC", id: "ASC" } });
  },

  find(m: EntityManager, tenantId: string, podId: string, id: string): Promise<PodAccessTokenRow | null> {
    return m.findOne(PodAccessTokenEntity, { where: { tenantId, podId, id } });
  },

  /** For a change that must see the row as it is (a use spent): locked on MySQL, serialised on SQLite. */
  findForUpdate(tx: EntityManager, tenantId: string, podId: string, id: string): Promise<PodAccessTokenRow | null> {
    if (tx.connection.options.type === "better-sqlite3") return this.find(tx, tenantId, podId, id);
    return tx.findOne(PodAccessTokenEntity, { where: { tenantId, podId, id }, lock: { mode: "pessimistic_write" } });
  },

  findLink(m: EntityManager, tenantId: string, podId: string, secretHash: string): Promise<PodAccessTokenRow | null> {
    return m.findOne(PodAccessTokenEntity, { where: { tenantId, podId, secretHash } });
  },

  passwords(m: EntityManager, tenantId: string, podId: string): Promise<PodAccessTokenRow[]> {
    return m.find(PodAccessTokenEntity, { where: { tenantId, podId, passwordHash: Not(IsNull()) }, order: { createdAt: "DESC", id: "ASC" } });
  },

  async update(m: EntityManager, id: string, changes: Partial<PodAccessTokenRow>): Promise<void> {
    await m.update(PodAccessTokenEntity, { id }, changes);
  },

  async deleteOfPod(m: EntityManager, tenantId: string, podId: string): Promise<void> {
    await m.delete(PodAccessTokenEntity, { tenantId, podId });
    await m.delete(GateAttemptEntity, { tenantId, podId });
    await m.delete(GateAuditEntity, { tenantId, podId });
  },
};

/** Failed redemptions, by pod and client address, kept for one window. */
export const gateAttemptRepository = {
  /** How many failures `clientAddress` had since `since`, and when the oldest of them was. */
  async failuresSince(m: EntityManager, tenantId: string, podId: string, clientAddress: string, since: number): Promise<{ count: number; oldest: number | null }> {
    const rows = await m.find(GateAttemptEntity, { where: { tenantId, podId, clientAddress, at: MoreThanOrEqual(since) }, order: { at: "ASC" }, select: { at: true } });
    return { count: rows.length, oldest: rows[0]?.at ?? null };
  },

  /** How many failures `clientAddress` had since `since` at any pod. */
  failuresOfAddressSince(m: EntityManager, clientAddress: string, since: number): Promise<number> {
    return m.count(GateAttemptEntity, { where: { clientAddress, at: MoreThanOrEqual(since) } });
  },

  /**
   * Records an attempt as a failure before it is checked, so that attempts
   * made at once all count; answers its id, to take it back should the
   * attempt succeed. Only an insert: deleting old rows beside it made
   * attempts made at once deadlock on MariaDB's gap locks.
   */
  async record(m: EntityManager, tenantId: string, podId: string, clientAddress: string, at: number): Promise<number> {
    const inserted = await m.insert(GateAttemptEntity, { tenantId, podId, clientAddress, at });
    return Number(inserted.identifiers[0]!.id);
  },

  /** Forgets the failures (of anyone) older than `before`. */
  async forgetBefore(m: EntityManager, before: number): Promise<void> {
    await m.delete(GateAttemptEntity, { at: LessThan(before) });
  },

  /** Takes back an attempt recorded before it was checked. */
  async takeBack(m: EntityManager, id: number): Promise<void> {
    await m.delete(GateAttemptEntity, { id });
  },
};

/** The gate audit of every pod, each pod's cut to its newest `keep` entries as entries are added. */
export class GateAuditRepository {
  constructor(private readonly keep: number) {}

  async add(m: EntityManager, row: GateAuditRow): Promise<void> {
    await m.insert(GateAuditEntity, row);
    const [oldestDropped] = await m.find(GateAuditEntity, {
      where: { tenantId: row.tenantId, podId: row.podId },
      order: { id: "DESC" },
      skip: this.keep,
      take: 1,
      select: { id: true },
    });
    if (oldestDropped) await m.delete(GateAuditEntity, { tenantId: row.tenantId, podId: row.podId, id: LessThanOrEqual(oldestDropped.id!) });
  }

  /** Newest first. */
  list(m: EntityManager, tenantId: string, podId: string, limit: number): Promise<GateAuditRow[]> {
    return m.find(GateAuditEntity, { where: { tenantId, podId }, order: { id: "DESC" }, take: limit });
  }
}
