import { EntitySchema } from "typeorm";
import { epochMillis, longText, shortText } from "./column-types.js";

/** The container output of a pod's current (or last) instance, capped in size. */
export interface PodLogRow {
  tenantId: string;
  podId: string;
  content: string;
  updatedAt: number;
}

export const PodLogEntity = new EntitySchema<PodLogRow>({
  name: "PodLog",
  tableName: "pod_logs",
  columns: {
    tenantId: { ...shortText(64), primary: true, name: "tenant_id" },
    podId: { ...shortText(64), primary: true, name: "pod_id" },
    content: longText(),
    updatedAt: { ...epochMillis(), name: "updated_at" },
  },
});
