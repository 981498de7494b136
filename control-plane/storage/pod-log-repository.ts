import { In, LessThanOrEqual, MoreThan, type EntityManager } from "typeorm";
import { PodLogChunkEntity, PodLogRunEntity, type PodLogRunRow } from "./entities/pod-log-entity.js";
import { PreparedRead, PreparedValues } from "./prepared-reads.js";
import { PreparedInsert, PreparedUpdate } from "./prepared-writes.js";

// Every report that carries output runs these.
const newestRunOfPod = new PreparedRead(
  PodLogRunEntity,
  (q, columns) => `SELECT ${columns} FROM ${q("pod_log_runs")} WHERE ${q("tenant_id")} = ? AND ${q("pod_id")} = ? ORDER BY ${q("run_index")} DESC LIMIT 1`,
);
const chunkInsert = new PreparedInsert(PodLogChunkEntity);
const runUpdate = new PreparedUpdate(PodLogRunEntity, ["tenantId", "podId", "runIndex"]);
// MariaDB may answer numbers as strings.
const chunkSizesNewestFirst = new PreparedValues<{ id: number | string; bytes: number | string }>(
  (q) => `SELECT ${q("id")}, ${q("bytes")} FROM ${q("pod_log_chunks")} WHERE ${q("tenant_id")} = ? AND ${q("pod_id")} = ? AND ${q("run_index")} = ? ORDER BY ${q("id")} DESC`,
);

/** How much output is kept: bytes per run, and runs per pod. */
export interface LogLimits {
  capBytes: number;
  keepRuns: number;
}

/**
 * Pods' container output, by run. A run begins with the first output of a
 * new container (a chunk marked `reset` after the previous run ended) and
 * ends when the pod stops, completes or fails (closeRun). A `reset` while
 * the newest run goes on is the same container's output read again from the
 * start (a new agent following it): it replaces that run's output. The
 * newest run is the pod's live log.
 */
export const podLogRepository = {
  /** The pod's newest run, or null before its first output. */
  async newestRun(m: EntityManager, tenantId: string, podId: string): Promise<PodLogRunRow | null> {
    return newestRunOfPod.one(m, [tenantId, podId]);
  },

  /**
   * Appends output to the pod's current run (beginning one when needed) and
   * keeps the run's newest `capBytes`, from a line start; runs older than
   * the newest `keepRuns` are deleted with their output.
   */
  async append(m: EntityManager, tenantId: string, podId: string, text: string, reset: boolean, limits: LogLimits, now: number): Promise<void> {
    let run = await this.newestRun(m, tenantId, podId);
    if (run && reset && run.stoppedAt === null) {
      await m.delete(PodLogChunkEntity, { tenantId, podId, runIndex: run.runIndex });
      run.logSizeBytes = 0;
    } else if (!run || (reset && run.stoppedAt !== null)) {
      run = { tenantId, podId, runIndex: (run?.runIndex ?? 0) + 1, startedAt: now, stoppedAt: null, logSizeBytes: 0 };
      await m.insert(PodLogRunEntity, run);
      await this.dropRunsBefore(m, tenantId, podId, run.runIndex - limits.keepRuns + 1);
    }
    if (text) {
      await chunkInsert.insert(m, [{ tenantId, podId, runIndex: run.runIndex, bytes: Buffer.byteLength(text), text, at: now }]);
      run.logSizeBytes = await capRun(m, run, limits.capBytes);
    }
    await runUpdate.update(m, { tenantId, podId, runIndex: run.runIndex }, { logSizeBytes: run.logSizeBytes });
  },

  /** The current run ends: the pod stopped, completed or failed. */
  async closeRun(m: EntityManager, tenantId: string, podId: string, now: number): Promise<void> {
    const run = await this.newestRun(m, tenantId, podId);
    if (run && run.stoppedAt === null) await m.update(PodLogRunEntity, { tenantId, podId, runIndex: run.runIndex }, { stoppedAt: now });
  },

  /** The live log: the newest run's output. */
  async live(m: EntityManager, tenantId: string, podId: string): Promise<string> {
    const run = await this.newestRun(m, tenantId, podId);
    return run ? this.text(m, run) : "";
  },

  /** Chunks of the newest run after chunk `afterId`, oldest first (for following the output). */
  async chunksAfter(m: EntityManager, tenantId: string, podId: string, afterId: number): Promise<{ id?: number; text: string }[]> {
    const run = await this.newestRun(m, tenantId, podId);
    if (!run) return [];
    return m.find(PodLogChunkEntity, { where: { tenantId, podId, runIndex: run.runIndex, id: MoreThan(afterId) }, order: { id: "ASC" }, select: { id: true, text: true } });
  },

  /** Newest first. */
  runs(m: EntityManager, tenantId: string, podId: string): Promise<PodLogRunRow[]> {
    return m.find(PodLogRunEntity, { where: { tenantId, podId }, order: { runIndex: "DESC" } });
  },

  run(m: EntityManager, tenantId: string, podId: string, runIndex: number): Promise<PodLogRunRow | null> {
    return m.findOne(PodLogRunEntity, { where: { tenantId, podId, runIndex } });
  },

  async text(m: EntityManager, run: PodLogRunRow): Promise<string> {
    const chunks = await m.find(PodLogChunkEntity, { where: { tenantId: run.tenantId, podId: run.podId, runIndex: run.runIndex }, order: { id: "ASC" }, select: { text: true } });
    return chunks.map((c) => c.text).join("");
  },

  /** The ids of a run's chunks, oldest first, to read its output a few chunks at a time. */
  async chunkIds(m: EntityManager, run: PodLogRunRow): Promise<number[]> {
    const rows = await m.find(PodLogChunkEntity, { where: { tenantId: run.tenantId, podId: run.podId, runIndex: run.runIndex }, order: { id: "ASC" }, select: { id: true } });
    return rows.map((r) => r.id!);
  },

  /** The texts of chunks `ids`, in that order. */
  async chunkTexts(m: EntityManager, ids: number[]): Promise<string[]> {
    const rows = await m.find(PodLogChunkEntity, { where: { id: In(ids) }, select: { id: true, text: true } });
    const byId = new Map(rows.map((r) => [r.id!, r.text]));
    return ids.map((id) => byId.get(id) ?? "");
  },

  async deleteOfPod(m: EntityManager, tenantId: string, podId: string): Promise<void> {
    await m.delete(PodLogChunkEntity, { tenantId, podId });
    await m.delete(PodLogRunEntity, { tenantId, podId });
  },

  async dropRunsBefore(m: EntityManager, tenantId: string, podId: string, firstKept: number): Promise<void> {
    if (firstKept <= 1) return;
    await m.delete(PodLogChunkEntity, { tenantId, podId, runIndex: LessThanOrEqual(firstKept - 1) });
    await m.delete(PodLogRunEntity, { tenantId, podId, runIndex: LessThanOrEqual(firstKept - 1) });
  },
};

/**
 * Keeps a run's newest `capBytes`: whole chunks older than that go, and the
 * chunk the cap falls in keeps its tail from a line start. Returns the
 * bytes kept.
 */
async function capRun(m: EntityManager, run: PodLogRunRow, capBytes: number): Promise<number> {
  const sizes = (await chunkSizesNewestFirst.all(m, [run.tenantId, run.podId, run.runIndex])).map((row) => ({ id: Number(row.id), bytes: Number(row.bytes) }));
  let kept = 0;
  let full = false;
  const stale: number[] = [];
  for (const chunk of sizes) {
    if (full) {
      stale.push(chunk.id);
    } else if (kept + chunk.bytes <= capBytes) {
      kept += chunk.bytes;
    } else {
      // The cap falls inside this chunk: it keeps its tail, every older chunk goes.
      const boundary = await m.findOneOrFail(PodLogChunkEntity, { where: { id: chunk.id }, select: { id: true, text: true } });
      const tail = keepTail(boundary.text, capBytes - kept);
      if (tail) {
        await m.update(PodLogChunkEntity, { id: chunk.id }, { text: tail, bytes: Buffer.byteLength(tail) });
        kept += Buffer.byteLength(tail);
      } else {
        stale.push(chunk.id);
      }
      full = true;
    }
  }
  if (stale.length > 0) await m.delete(PodLogChunkEntity, { id: In(stale) });
  return kept;
}

/** The last `capBytes` bytes of `text`, starting after a newline when one is near. */
export function keepTail(text: string, capBytes: number): string {
  if (Buffer.byteLength(text) <= capBytes) return text;
  const bytes = Buffer.from(text);
  let tail = bytes.subarray(bytes.length - capBytes).toString("utf8");
  if (tail.startsWith("\uFFFD")) tail = tail.replace(/^\uFFFD+/, "");
  const newline = tail.indexOf("\n");
  return newline >= 0 && newline < 4096 ? tail.slice(newline + 1) : tail;
}
