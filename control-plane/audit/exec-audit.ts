import type { ExecResult } from "../../gen/tapis/pods/v1/pod_pb.js";
import type { Caller } from "../auth/caller.js";
import { ProblemList } from "../errors/domain-errors.js";
import type { ActionLogRepository } from "../storage/action-log-repository.js";
import type { Database } from "../storage/database.js";
import type { ExecAuditRow } from "../storage/entities/exec-audit-entity.js";
import type { ExecAuditRepository } from "../storage/exec-audit-repository.js";

export const auditKinds = ["exec", "session"] as const;
export type AuditKind = (typeof auditKinds)[number];

/**
 * One command run in a pod, as the audit keeps it. `exitCode` is null when
 * the command did not finish (then `error` says why). Interactive sessions
 * record themselves with kind "session" through the same call.
 */
export interface AuditedCommand {
  tenantId: string;
  podId: string;
  kind: AuditKind;
  username: string;
  startedAt: number;
  durationMs: number;
  command: string[];
  exitCode: number | null;
  bytesIn: number;
  bytesOut: number;
  requestId: string;
  error: string;
}

export interface AuditQuery {
  limit?: number;
  kind?: string;
}

const defaultLimit = 100;
const maxLimit = 1000;

/**
 * Records who ran what in pods and lets their administrators read it. What
 * a command printed is never stored, only how many bytes it was: output
 * may hold anything the pod holds.
 */
export class ExecAudit {
  constructor(
    private readonly db: Database,
    private readonly audit: ExecAuditRepository,
    private readonly actionLog: ActionLogRepository,
  ) {}

  /** Stores commands run in one pod, in the order they ran. */
  async record(commands: AuditedCommand[]): Promise<void> {
    if (commands.length === 0) return;
    await this.db.transaction(async (tx) => {
      for (const command of commands) await this.audit.add(tx, rowOf(command));
    });
  }

  /**
   * Stores the commands of one exec request and adds upstream's summary line
   * to the pod's action log. That line names executables only: arguments may
   * carry secrets, and the action log is readable with READ.
   */
  async recordExec(commands: AuditedCommand[], summary: { tenantId: string; podId: string; username: string; at: number; line: string }): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const command of commands) await this.audit.add(tx, rowOf(command));
      await this.actionLog.add(tx, summary.tenantId, summary.podId, summary.at, summary.line);
    });
  }

  async list(caller: Caller, podId: string, query: AuditQuery): Promise<ExecAuditRow[]> {
    const problems = new ProblemList();
    const limit = query.limit ?? defaultLimit;
    if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) problems.add("limit", `must be between 1 and ${maxLimit}`);
    const kind = query.kind || undefined;
    if (kind !== undefined && !(auditKinds as readonly string[]).includes(kind)) problems.add("kind", "must be 'exec' or 'session'");
    problems.throwIfAny();
    return this.db.read((m) => this.audit.list(m, caller.tenantId, podId, limit, kind));
  }
}

/**
 * Upstream's action-log line for an exec request:
 * `'alice' exec 1/2 ok  [ls(ok, 0.01s), false(exit 1, 0.0s)]  0.01s total`,
 * each executable by its base name cut to 24 characters.
 */
export function execSummaryLine(username: string, result: ExecResult, stoppedBecause = ""): string {
  const round = (seconds: number) => Math.round(seconds * 100) / 100;
  const parts = result.results.map((r) => {
    const executable = (r.command[0] ?? "exec").split("/").at(-1)!.slice(0, 24);
    return `${executable}(${r.success ? "ok" : `exit ${r.error && r.exitCode < 0 ? "?" : r.exitCode}`}, ${round(r.durationSeconds)}s)`;
  });
  const ok = result.results.filter((r) => r.success).length;
  const total = round(result.results.reduce((sum, r) => sum + r.durationSeconds, 0));
  const line = `'${username}' exec ${ok}/${result.results.length} ok  [${parts.join(", ")}]  ${total}s total`;
  return stoppedBecause ? `${line}  (${stoppedBecause})` : line;
}

function rowOf(command: AuditedCommand): ExecAuditRow {
  return { ...command, requestId: command.requestId.slice(0, 64), error: command.error.slice(0, 2000) };
}
