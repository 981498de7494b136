import { EntitySchema } from "typeorm";
import { bigCount, epochMillis, integer, jsonText, longText, shortText } from "./column-types.js";

/** Who ran which command in a pod, and how it went; never its output. */
export interface ExecAuditRow {
  id?: number;
  tenantId: string;
  podId: string;
  /** "exec" or "session". */
  kind: string;
  username: string;
  startedAt: number;
  durationMs: number;
  command: string[];
  /** Null when the command did not finish. */
  exitCode: number | null;
  bytesIn: number;
  bytesOut: number;
  requestId: string;
  error: string;
}

export const ExecAuditEntity = new EntitySchema<ExecAuditRow>({
  name: "ExecAudit",
  tableName: "pod_exec_audit",
  columns: {
    id: { type: "integer", primary: true, generated: "increment" },
    tenantId: { ...shortText(64), name: "tenant_id" },
    podId: { ...shortText(64), name: "pod_id" },
    kind: shortText(16),
    username: shortText(128),
    startedAt: { ...epochMillis(), name: "started_at" },
    durationMs: { ...integer(), name: "duration_ms" },
    command: jsonText(),
    exitCode: { type: "int", nullable: true, name: "exit_code" },
    bytesIn: { ...bigCount(), name: "bytes_in" },
    bytesOut: { ...bigCount(), name: "bytes_out" },
    requestId: { ...shortText(64), name: "request_id" },
    error: longText(),
  },
});
