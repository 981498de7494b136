import { EntitySchema } from "typeorm";
import { epochMillis, longText, shortText } from "./column-types.js";

/**
 * One chunk of a pod's container output, in arrival order. Appending is an
 * insert, and the oldest chunks go once the pod holds more than its cap, so
 * the cost of a report does not grow with the log.
 */
export interface PodLogChunkRow {
  id?: number;
  tenantId: string;
  podId: string;
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
    bytes: { type: "int" },
    text: longText(),
    at: epochMillis(),
  },
});
