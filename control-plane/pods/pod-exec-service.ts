import type { JsonValue } from "@bufbuild/protobuf";
import type { ExecResult } from "../../gen/tapis/pods/v1/pod_pb.js";
import type { AgentLink } from "../agents/agent-router.js";
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
 * command that exits non-zero stops the run and fails the request.
 */
export class PodExecService {
  constructor(
    private readonly db: Database,
    private readonly agents: AgentLink,
  ) {}

  async exec(caller: Caller, podId: string, commands: JsonValue[] | undefined, options: ExecOptions): Promise<ExecResult> {
    const problems = new ProblemList();
    const argvs = parseExecCommands(commands, problems);
    const commandTimeoutSeconds = validateTimeout("command_timeout", options.commandTimeoutSeconds, execDefaults.commandTimeoutSeconds, problems);
    const totalTimeoutSeconds = validateTimeout("total_timeout", options.totalTimeoutSeconds, execDefaults.totalTimeoutSeconds, problems);
    problems.throwIfAny();
    const pod = await findAvailablePod(this.db, caller.tenantId, podId, "commands run only in an AVAILABLE pod");
    const failOnNonSuccess = options.failOnNonSuccess ?? true;
    const reply = await this.agents.exec(
      pod.clusterId,
      {
        tenantId: pod.tenantId,
        podId,
        uid: pod.uid,
        commands: argvs.map((argv) => ({ argv })),
        commandTimeoutSeconds,
        totalTimeoutSeconds,
        stopOnFailure: failOnNonSuccess,
        clientRequestId: options.clientRequestId ?? "",
      },
      (totalTimeoutSeconds + 30) * 1000,
    );
    if (reply.error) throw new UnavailableError(`the commands could not be run: ${reply.error}`);
    const result = reply.result;
    if (!result) throw new UnavailableError("the agent answered without a result");
    const failed = result.results.findIndex((r) => !r.success);
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
