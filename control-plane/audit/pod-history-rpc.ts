import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { PodHistoryService } from "../../gen/tapis/pods/v1/pod_history_service_pb.js";
import { callerOf } from "../auth/caller-of.js";
import type { ExecAuditRow } from "../storage/entities/exec-audit-entity.js";
import type { ExecAudit } from "./exec-audit.js";

/** PodHistoryService over gRPC/Connect: translates messages and delegates to the exec audit. */
export function podHistoryRpc(audit: ExecAudit): ServiceImpl<typeof PodHistoryService> {
  return {
    async getPodExecAudit(req, ctx) {
      const rows = await audit.list(callerOf(ctx), req.podId, { limit: req.limit, kind: req.kind });
      return { message: "Pod exec audit retrieved successfully.", result: rows.map(auditEntryToProto) };
    },
  };
}

function auditEntryToProto(row: ExecAuditRow) {
  return {
    kind: row.kind,
    username: row.username,
    startedAt: timestampFromMs(row.startedAt),
    durationSeconds: row.durationMs / 1000,
    command: row.command,
    ...(row.exitCode === null ? {} : { exitCode: row.exitCode }),
    bytesIn: BigInt(row.bytesIn),
    bytesOut: BigInt(row.bytesOut),
    requestId: row.requestId,
    error: row.error,
  };
}
