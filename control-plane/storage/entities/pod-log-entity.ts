import { EntitySchema } from "typeorm";
import { bigCount, epochMillis, integer, longText, shortText } from "./column-types.js";

/**
 * One chunk of a pod's container output, in arrival order, within one run.
 * Appending is an insert, and the oldest chunks of a run go once it holds
 * more than its cap, so the cost of a report does not grow with the log.
 */
export interface PodLogChunkRow {
  id?: number;
  tenantId: string;
  podId: string;
  /** The run (start/stop cycle) the output belongs to. */
  runIndex: number;
  bytes: number;
  text: string;
  at: number;
}

export const PodLogChunkEntity = new EntitySchema<PodLogChunkRow>({
  name: "PodLogChunk",
  tableName: "pod_log_chunks",
  columns: {
    id: { type: "integer", primary: true, generated: "increment" },
    tenantId: { ...shortText(64), name: "tenant_id" },
    podId: { ...shortText(64), name: "pod_id" },
    runIndex: { ...integer(), name: "run_index" },
    bytes: { type: "int" },
    text: longText(),
    at: epochMillis(),
  },
});

/** One start/stop cycle of a pod whose output is kept. */
export interface PodLogRunRow {
  tenantId: string;
  podId: string;
  /** Counts the pod's runs from 1. */
  runIndex: number;
  startedAt: number;
  /** When the pod stopped, completed or failed; null while the run goes on. */
  stoppedAt: number | null;
  /** Bytes of output kept. */
  logSizeBytes: number;
}

export const PodLogRunEntity = new EntitySchema<PodLogRunRow>({
  name: "PodLogRun",
  tableName: "pod_log_runs",
  columns: {
    tenantId: { ...shortText(64), name: "tenant_id", primary: true },
    podId: { ...shortText(64), name: "pod_id", primary: true },
    runIndex: { ...integer(), name: "run_index", primary: true },
    startedAt: { ...epochMillis(), name: "started_at" },
    stoppedAt: { ...epochMillis(true), name: "stopped_at" },
    logSizeBytes: { ...bigCount(), name: "log_size_bytes" },
  },
});
