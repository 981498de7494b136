import { EntitySchema } from "typeorm";
import { epochMillis, longText, shortText } from "./column-types.js";

/** One line of a pod's action history. */
export interface PodActionLogRow {
  id?: number;
  tenantId: string;
  podId: string;
  at: number;
  message: string;
}

export const PodActionLogEntity = new EntitySchema<PodActionLogRow>({
  name: "PodActionLog",
  tableName: "pod_action_logs",
  columns: {
    id: { type: "integer", primary: true, generated: "increment" },
    tenantId: { ...shortText(64), name: "tenant_id" },
    podId: { ...shortText(64), name: "pod_id" },
    at: epochMillis(),
    message: longText(),
  },
});
