import type { ExecAudit } from "../audit/exec-audit.js";

/** What is kept of one interactive exec session: who, when, what, how much and how it ended; never what was typed or shown. */
export interface ExecSessionRecord {
  sessionId: string;
  tenantId: string;
  podId: string;
  /** Who opened it, as authenticated. */
  username: string;
  /** The request id the session was opened with. */
  requestId: string;
  /** Epoch milliseconds. */
  startedAt: number;
  endedAt: number;
  command: string[];
  tty: boolean;
  /** Bytes of stdin the caller sent, and of output it was sent. */
  bytesIn: number;
  bytesOut: number;
  /** The command's exit code, when it exited. */
  exitCode: number | null;
  /** How it ended, in words ("the command exited with code 3", "the client went away"). */
  ending: string;
}

/** Where sessions are recorded, once each has ended. */
export interface SessionAudit {
  record(record: ExecSessionRecord): Promise<void>;
}

const maxProgramLength = 200;

/**
 * Records each session where commands run in pods are audited (kind
 * "session"), for the pod's administrators, and as a line of its pod's
 * action log. Whoever may read the pod reads that log, so the line names the
 * program and how many arguments it had, not the arguments, which may hold
 * a password.
 */
export class AuditedSessions implements SessionAudit {
  constructor(private readonly execAudit: ExecAudit) {}

  async record(record: ExecSessionRecord): Promise<void> {
    const { tenantId, podId, username, startedAt, command, bytesIn, bytesOut, exitCode, requestId } = record;
    await this.execAudit.recordExec(
      [{ tenantId, podId, kind: "session", username, startedAt, durationMs: record.endedAt - startedAt, command, exitCode, bytesIn, bytesOut, requestId, error: exitCode === null ? record.ending : "" }],
      { tenantId, podId, username, at: record.endedAt, line: actionLogLine(record) },
    );
  }
}

/** "Exec session <id> by alice: psql (2 arguments), no terminal, 12.5 s, 22 bytes in, 310 bytes out, ended: the command exited with code 4." */
export function actionLogLine(record: ExecSessionRecord): string {
  const [program = "", ...args] = record.command;
  const argumentCount = args.length === 0 ? "no arguments" : args.length === 1 ? "1 argument" : `${args.length} arguments`;
  const seconds = ((record.endedAt - record.startedAt) / 1000).toFixed(1);
  return (
    `Exec session ${record.sessionId} by ${record.username}: ${program.slice(0, maxProgramLength)} (${argumentCount}), ` +
    `${record.tty ? "terminal" : "no terminal"}, ${seconds} s, ${record.bytesIn} bytes in, ${record.bytesOut} bytes out, ended: ${record.ending}.`
  );
}
