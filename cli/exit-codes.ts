/**
 * The exit codes of `pods`, one per kind of outcome a script may act on.
 * Documented in the README; keep the two in step.
 */
export const ExitCode = {
  ok: 0,
  /** The command line or a local file was wrong; nothing was sent. */
  usage: 1,
  /** The service answered 404: the pod, volume or path does not exist. */
  notFound: 2,
  /** No token, an expired one, or the service refused it (401) or the caller's rights (403). */
  auth: 3,
  /** The service refused the request as it stands (400, 409, 413, …): its message says why. */
  refused: 4,
  /** The service failed or could not be reached (5xx, including 501, or a network error). */
  unavailable: 5,
  /** `exec`: the command ran in the pod and did not succeed. */
  commandFailed: 6,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code for an HTTP error status of the service. */
export function exitCodeOfStatus(status: number): ExitCode {
  if (status === 404) return ExitCode.notFound;
  if (status === 401 || status === 403) return ExitCode.auth;
  if (status === 408 || status >= 500) return ExitCode.unavailable;
  return ExitCode.refused;
}
