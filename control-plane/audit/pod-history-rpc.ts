import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { PodHistoryService } from "../../gen/tapis/pods/v1/pod_history_service_pb.js";
import { callerOf } from "../auth/caller-of.js";
import type { ExecAuditRow } from "../storage/entities/exec-audit-entity.js";
import type { PodLogRunRow } from "../storage/entities/pod-log-entity.js";
import type { ExecAudit } from "./exec-audit.js";
import type { PodLogRuns } from "./pod-log-runs.js";

/** PodHistoryService over gRPC/Connect: translates messages and delegates to the exec audit and the log runs. */
export function podHistoryRpc(audit: ExecAudit, logRuns: PodLogRuns): ServiceImpl<typeof PodHistoryService> {
  return {
    async getPodExecAudit(req, ctx) {
      const rows = await audit.list(callerOf(ctx), req.podId, { limit: req.limit, kind: req.kind });
      return { message: "Pod exec audit retrieved successfully.", result: rows.map(auditEntryToProto) };
    },
    async listPodLogRuns(req, ctx) {
      const runs = await logRuns.list(callerOf(ctx), req.podId);
      return { message: "Pod log runs retrieved successfully.", result: runs.map(logRunToProto) };
    },
    async getPodLogRun(req, ctx) {
      const { run, logs } = await logRuns.get(callerOf(ctx), req.podId, req.runIndex);
      return { message: `Pod log run #${run.runIndex} retrieved successfully.`, result: { ...logRunToProto(run), logs } };
    },
    async *downloadPodLogRun(req, ctx) {
      const { run, pieces } = await logRuns.download(callerOf(ctx), req.podId, req.runIndex);
      yield { data: new Uint8Array(0), contentType: "text/plain; charset=utf-8", filename: `${run.podId}-run-${run.runIndex}.log`, contentLength: BigInt(run.logSizeBytes) };
      for await (const data of pieces) yield { data, contentType: "", filename: "" };
    },
  };
}

function logRunToProto(run: PodLogRunRow) {
  return {
    podId: run.podId,
    runIndex: run.runIndex,
    startedAt: timestampFromMs(run.startedAt),
    ...(run.stoppedAt === null ? {} : { stoppedAt: timestampFromMs(run.stoppedAt) }),
    logSizeBytes: BigInt(run.logSizeBytes),
    isActive: true,
    isArchived: false,
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
