import { EntitySchema } from "typeorm";
import { epochMillis, shortText } from "./column-types.js";

/** One change of a pod's row; its revision orders all changes of all pods. */
export interface PodChangeRow {
  revision?: number;
  tenantId: string;
  podId: string;
  deleted: boolean;
  at: number;
}

export const PodChangeEntity = new EntitySchema<PodChangeRow>({
  name: "PodChange",
  tableName: "pod_changes",
  columns: {
    revision: { type: "integer", primary: true, generated: "increment" },
    tenantId: { ...shortText(64), name: "tenant_id" },
    podId: { ...shortText(64), name: "pod_id" },
    deleted: { type: "boolean" },
    at: epochMillis(),
  },
});
