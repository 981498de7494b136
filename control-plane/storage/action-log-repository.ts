import { LessThanOrEqual, type EntityManager } from "typeorm";
import { PodActionLogEntity } from "./entities/pod-action-log-entity.js";
import { PreparedValues } from "./prepared-reads.js";
import { PreparedInsert } from "./prepared-writes.js";

const lineInsert = new PreparedInsert(PodActionLogEntity);
/** The newest line past the `keep` newest, if any: it and every older line go. */
const newestBeyond = new PreparedValues<{ id: number | string }>(
  (q) => `SELECT ${q("id")} FROM ${q("pod_action_logs")} WHERE ${q("tenant_id")} = ? AND ${q("pod_id")} = ? ORDER BY ${q("id")} DESC LIMIT 1 OFFSET ?`,
);

/**
 * Pods' action logs, each cut to its newest `keep` lines as lines are added,
 * so a pod that changes often cannot grow its history without bound.
 */
export class ActionLogRepository {
  constructor(private readonly keep: number) {}

  /** Adds a line (an empty message adds nothing) and deletes lines older than the newest `keep`. */
  async add(m: EntityManager, tenantId: string, podId: string, at: number, message: string): Promise<void> {
    if (!message) return;
    await lineInsert.insert(m, [{ tenantId, podId, at, message }]);
    const [oldestDropped] = await newestBeyond.all(m, [tenantId, podId, this.keep]);
    if (oldestDropped) await m.delete(PodActionLogEntity, { tenantId, podId, id: LessThanOrEqual(Number(oldestDropped.id)) });
  }

  /** Oldest first, each line prefixed with its UTC time. */
  async list(m: EntityManager, tenantId: string, podId: string): Promise<string[]> {
    const rows = await m.find(PodActionLogEntity, { where: { tenantId, podId }, order: { id: "DESC" }, take: this.keep });
    return rows.reverse().map((r) => `${new Date(r.at).toISOString()}: ${r.message}`);
  }
}
