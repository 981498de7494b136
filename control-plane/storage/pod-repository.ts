import { LessThanOrEqual, MoreThan, type EntityManager } from "typeorm";
import type { PodRecord } from "../pods/pod-model.js";
import { InvalidArgumentError } from "../errors/domain-errors.js";
import { accessTokenRepository } from "./access-gate-repository.js";
import { ExecAuditEntity } from "./entities/exec-audit-entity.js";
import { PermissionEntity } from "./entities/permission-entity.js";
import { PodActionLogEntity } from "./entities/pod-action-log-entity.js";
import { PodCredentialsEntity } from "./entities/pod-credentials-entity.js";
import { PodEntity } from "./entities/pod-entity.js";
import { podChangeRepository } from "./pod-change-repository.js";
import { podLogRepository } from "./pod-log-repository.js";
import { PreparedRead } from "./prepared-reads.js";
import { PreparedInsert, PreparedUpdate } from "./prepared-writes.js";

const podByKey = new PreparedRead(PodEntity, (q, columns) => `SELECT ${columns} FROM ${q("pods")} WHERE ${q("tenant_id")} = ? AND ${q("pod_id")} = ?`);
const podsVisibleTo = new PreparedRead(
  PodEntity,
  (q, columns) =>
    `SELECT ${columns} FROM ${q("pods")} WHERE ${q("tenant_id")} = ? AND ${q("pod_id")} IN ` +
    `(SELECT ${q("object_id")} FROM ${q("permissions")} WHERE ${q("tenant_id")} = ? AND ${q("object_kind")} = 'pod' AND ${q("username")} = ?) ORDER BY ${q("pod_id")}`,
);
const podInsert = new PreparedInsert(PodEntity);
const podUpdate = new PreparedUpdate(PodEntity, ["tenantId", "podId"]);
const podByKeyForUpdate = new PreparedRead(PodEntity, (q, columns) => `SELECT ${columns} FROM ${q("pods")} WHERE ${q("tenant_id")} = ? AND ${q("pod_id")} = ? FOR UPDATE`);

/** Reads and writes of pods and the rows that belong to them. */
export const podRepository = {
  find(m: EntityManager, tenantId: string, podId: string): Promise<PodRecord | null> {
    return podByKey.one(m, [tenantId, podId]);
  },

  /**
   * Reads a pod inside a transaction and holds its row until commit, so two
   * writers (a user's stop, an agent's report) cannot both build on the same
   * generation. SQLite runs one transaction at a time and needs no lock.
   */
  findForUpdate(tx: EntityManager, tenantId: string, podId: string): Promise<PodRecord | null> {
    if (tx.connection.options.type === "better-sqlite3") return podRepository.find(tx, tenantId, podId);
    return podByKeyForUpdate.one(tx, [tenantId, podId]);
  },

  /** Its credentials are written apart, encrypted (PodCredentialsRepository). */
  // Every write of a pod's row is numbered in pod_changes, in the same transaction, for watches.
  async insert(m: EntityManager, pod: PodRecord): Promise<void> {
    await podInsert.insert(m, [pod]);
    await podChangeRepository.record(m, pod.tenantId, pod.podId, false, pod.creationTs);
  },

  async update(m: EntityManager, tenantId: string, podId: string, changes: Partial<PodRecord>): Promise<void> {
    if (Object.keys(changes).length === 0) return;
    await podUpdate.update(m, { tenantId, podId }, changes);
    await podChangeRepository.record(m, tenantId, podId, false, changes.updateTs ?? Date.now());
  },

  /** Removes the pod and everything stored for it. */
  async delete(m: EntityManager, tenantId: string, podId: string): Promise<void> {
    await m.delete(PodEntity, { tenantId, podId });
    await m.delete(PodCredentialsEntity, { tenantId, podId });
    await podLogRepository.deleteOfPod(m, tenantId, podId);
    await m.delete(PodActionLogEntity, { tenantId, podId });
    await m.delete(ExecAuditEntity, { tenantId, podId });
    await accessTokenRepository.deleteOfPod(m, tenantId, podId);
    await m.delete(PermissionEntity, { tenantId, objectKind: "pod", objectId: podId });
    await podChangeRepository.record(m, tenantId, podId, true, Date.now());
  },

  /** Pods of a tenant on which `username` holds any permission, by id. */
  listVisibleTo(m: EntityManager, tenantId: string, username: string): Promise<PodRecord[]> {
    return podsVisibleTo.all(m, [tenantId, tenantId, username]);
  },

  /** One page of a cluster's pods ordered by (tenant, pod id), after `cursor`. */
  async pageOfCluster(m: EntityManager, clusterId: string, cursor: string, limit: number): Promise<PodRecord[]> {
    const qb = m.createQueryBuilder(PodEntity, "p").where("p.cluster_id = :clusterId", { clusterId });
    if (cursor) {
      const [tenantId, podId] = parseCursor(cursor);
      qb.andWhere("(p.tenant_id > :tenantId OR (p.tenant_id = :tenantId AND p.pod_id > :podId))", { tenantId, podId });
    }
    return qb.orderBy("p.tenant_id", "ASC").addOrderBy("p.pod_id", "ASC").take(limit).getMany();
  },

  /** AVAILABLE pods, of one cluster or of all, ordered by (tenant, pod id). */
  available(m: EntityManager, clusterId?: string): Promise<PodRecord[]> {
    return m.find(PodEntity, { where: { status: "AVAILABLE", ...(clusterId ? { clusterId } : {}) }, order: { tenantId: "ASC", podId: "ASC" } });
  },

  /** Running pods whose time to stop has come. */
  dueToStop(m: EntityManager, now: number, limit: number): Promise<PodRecord[]> {
    return m.find(PodEntity, {
      where: { statusRequested: "ON", timeToStopTs: LessThanOrEqual(now) },
      take: limit,
    });
  },
};

function parseCursor(cursor: string): [string, string] {
  try {
    const parsed: unknown = JSON.parse(cursor);
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((part) => typeof part === "string")) return parsed as [string, string];
  } catch {
    // reported below
  }
  throw new InvalidArgumentError("page_token", "is not a token this service issued");
}
