import type { V1Status } from "@kubernetes/client-node";

export interface ExecOutcome {
  exitCode: number;
  /** Set when Kubernetes reported a failure other than a non-zero exit. */
  failure?: string;
}

/** Kubernetes reports an exec's end as a Status; a non-zero exit is a Failure with an ExitCode cause. */
export function execOutcome(status: V1Status): ExecOutcome {
  if (status.status === "Success") return { exitCode: 0 };
  const exitCode = status.details?.causes?.find((cause) => cause.reason === "ExitCode")?.message;
  if (exitCode !== undefined) return { exitCode: Number(exitCode) };
  return { exitCode: -1, failure: status.message ?? "the command failed" };
}
