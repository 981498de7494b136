import { LessThanOrEqual, type EntityManager } from "typeorm";
import { ExecAuditEntity, type ExecAuditRow } from "./entities/exec-audit-entity.js";

/**
 * The exec audit of every pod, each pod's cut to its newest `keep` entries
 * as entries are added (as the action log is), so a busy pod cannot grow it
 * without bound.
 */
export class ExecAuditRepository {
  constructor(private readonly keep: number) {}

  async add(m: EntityManager, row: ExecAuditRow): Promise<void> {
    await m.insert(ExecAuditEntity, row);
    const [oldestDropped] = await m.find(ExecAuditEntity, {
      where: { tenantId: row.tenantId, podId: row.podId },
      order: { id: "DESC" },
      skip: this.keep,
      take: 1,
      select: { id: true },
    });
    if (oldestDropped) await m.delete(ExecAuditEntity, { tenantId: row.tenantId, podId: row.podId, id: LessThanOrEqual(oldestDropped.id!) });
  }

  /** Newest first; only entries of `kind` when given. */
  list(m: EntityManager, tenantId: string, podId: string, limit: number, kind?: string): Promise<ExecAuditRow[]> {
    return m.find(ExecAuditEntity, { where: { tenantId, podId, ...(kind ? { kind } : {}) }, order: { id: "DESC" }, take: limit });
  }
}
