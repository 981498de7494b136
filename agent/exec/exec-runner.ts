import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ExecReplySchema, ExecRequest } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import type { ClusterDriver } from "../drivers/cluster-driver.js";

type ExecReplyInit = MessageInitShape<typeof ExecReplySchema>;

/**
 * Runs an exec request's commands one after another in the pod's container,
 * each within command_timeout and all within total_timeout; with
 * stop_on_failure the first failing command ends the run.
 */
export async function runExec(driver: ClusterDriver, request: ExecRequest): Promise<ExecReplyInit> {
  const key = { tenantId: request.tenantId, podId: request.podId };
  const started = Date.now();
  const deadline = started + request.totalTimeoutSeconds * 1000;
  const results = [];
  for (const { argv } of request.commands) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      results.push({ command: argv, output: "", exitCode: -1, success: false, durationSeconds: 0, error: "not run: total_timeout reached" });
      if (request.stopOnFailure) break;
      continue;
    }
    const t0 = Date.now();
    const outcome = await driver.exec(key, request.uid, argv, Math.min(request.commandTimeoutSeconds * 1000, remaining));
    const success = !outcome.error && outcome.exitCode === 0;
    results.push({ command: argv, output: outcome.output, exitCode: outcome.exitCode, success, durationSeconds: (Date.now() - t0) / 1000, error: outcome.error ?? "" });
    if (!success && request.stopOnFailure) break;
  }
  return {
    requestId: request.requestId,
    result: { results, success: results.length === request.commands.length && results.every((r) => r.success), totalDurationSeconds: (Date.now() - started) / 1000 },
  };
}
