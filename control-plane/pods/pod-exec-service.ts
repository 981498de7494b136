import type { JsonValue } from "@bufbuild/protobuf";
import type { ExecReply } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import type { ExecResult } from "../../gen/tapis/pods/v1/pod_pb.js";
import type { AgentLink } from "../agents/agent-router.js";
import { execSummaryLine, type AuditedCommand, type ExecAudit } from "../audit/exec-audit.js";
import type { Caller } from "../auth/caller.js";
import { CommandFailedError, ProblemList, UnavailableError } from "../errors/domain-errors.js";
import type { Database } from "../storage/database.js";
import { findAvailablePod } from "./available-pod.js";
import { execDefaults, parseExecCommands, validateTimeout } from "./exec-commands.js";

export interface ExecOptions {
  commandTimeoutSeconds?: number;
  totalTimeoutSeconds?: number;
  failOnNonSuccess?: boolean;
  /** The id of the client request behind this exec, for the agent's logs. */
  clientRequestId?: string;
}

const outputShownOnFailure = 2_000;

/**
 * Runs commands in a pod's container through the agent of its cluster and
 * waits for all of them. With fail_on_non_success (the default) the first
 * command that exits non-zero stops the run and fails the request. Every
 * command sent to the pod is audited, whether it ran or not.
 */
export class PodExecService {
  constructor(
    private readonly db: Database,
    private readonly agents: AgentLink,
    private readonly audit: ExecAudit,
    private readonly now: () => number,
  ) {}

  async exec(caller: Caller, podId: string, commands: JsonValue[] | undefined, options: ExecOptions): Promise<ExecResult> {
    const problems = new ProblemList();
    const argvs = parseExecCommands(commands, problems);
    const commandTimeoutSeconds = validateTimeout("command_timeout", options.commandTimeoutSeconds, execDefaults.commandTimeoutSeconds, problems);
    const totalTimeoutSeconds = validateTimeout("total_timeout", options.totalTimeoutSeconds, execDefaults.totalTimeoutSeconds, problems);
    problems.throwIfAny();
    const pod = await findAvailablePod(this.db, caller.tenantId, podId, "commands run only in an AVAILABLE pod");
    const failOnNonSuccess = options.failOnNonSuccess ?? true;
    const started = this.now();
    const audited = { tenantId: pod.tenantId, podId, username: caller.username, requestId: options.clientRequestId ?? "", startedAt: started };
    const order = {
      tenantId: pod.tenantId,
      podId,
      uid: pod.uid,
      commands: argvs.map((argv) => ({ argv })),
      commandTimeoutSeconds,
      totalTimeoutSeconds,
      stopOnFailure: failOnNonSuccess,
      clientRequestId: options.clientRequestId ?? "",
    };
    let reply: ExecReply;
    try {
      reply = await this.agents.exec(pod.clusterId, order, (totalTimeoutSeconds + 30) * 1000);
    } catch (error) {
      await this.audit.record(notRun(argvs, audited, this.now() - started, error instanceof Error ? error.message : String(error)));
      throw error;
    }
    if (reply.error || !reply.result) {
      const why = reply.error ? `the commands could not be run: ${reply.error}` : "the agent answered without a result";
      await this.audit.record(notRun(argvs, audited, this.now() - started, why));
      throw new UnavailableError(why);
    }
    const result = reply.result;
    const failed = result.results.findIndex((r) => !r.success);
    const stopped = failOnNonSuccess && failed >= 0 ? "Execution stopped due to command failure on latest command." : "";
    await this.audit.recordExec(ranCommands(result, audited), { ...audited, at: this.now(), line: execSummaryLine(caller.username, result, stopped) });
    if (failOnNonSuccess && failed >= 0) {
      const command = result.results[failed]!;
      const why = command.error || `exited with code ${command.exitCode}`;
      throw new CommandFailedError(
        `command ${failed + 1} of ${argvs.length} (${command.command.join(" ")}) ${why}; output: ${command.output.slice(-outputShownOnFailure)}`,
      );
    }
    return result;
  }
}

interface AuditContext {
  tenantId: string;
  podId: string;
  username: string;
  requestId: string;
  startedAt: number;
}

/** The commands the agent ran, in order, each starting when the one before it ended. */
function ranCommands(result: ExecResult, context: AuditContext): AuditedCommand[] {
  let startedAt = context.startedAt;
  return result.results.map((r) => {
    const durationMs = Math.round(r.durationSeconds * 1000);
    const entry: AuditedCommand = {
      ...context,
      kind: "exec",
      startedAt,
      durationMs,
      command: r.command,
      // A command that could not run or was cut short has no exit code of its own.
      exitCode: r.error ? null : r.exitCode,
      bytesIn: 0,
      bytesOut: Buffer.byteLength(r.output),
      error: r.error,
    };
    startedAt += durationMs;
    return entry;
  });
}

/** Commands asked for that never ran: the agent could not be reached or could not run them. */
function notRun(argvs: string[][], context: AuditContext, durationMs: number, error: string): AuditedCommand[] {
  return argvs.map((command) => ({ ...context, kind: "exec", durationMs, command, exitCode: null, bytesIn: 0, bytesOut: 0, error }));
}
