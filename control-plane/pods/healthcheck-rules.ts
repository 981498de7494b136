import type { ProblemList } from "../errors/domain-errors.js";
import { probeKinds, type ProbeKind } from "./healthchecks.js";
import type { HealthcheckProbeSpec, HealthchecksSpec } from "./pod-model.js";

/** Characters of a URL path and query (RFC 3986 pchar, "/" and "?"): no spaces, controls, fragments or backslashes. */
const pathCharacters = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/;
const maxPathLength = 2048;
const maxArguments = 32;
const maxArgumentBytes = 4096;
/** Control characters other than tab and newline, which scripts given to `sh -c` may hold. */
// eslint-disable-next-line no-control-regex
const forbiddenControls = /[\u0000-\u0008\u000b-\u001f\u007f]/;

/**
 * Checks a pod's healthchecks (upstream accepts any values and leaves it to
 * Kubernetes to refuse the pod later; here each bad value is a 400 naming
 * the field): exactly one action per probe, ports 1-65535, paths and
 * commands that Kubernetes takes as they are, timings within Kubernetes'
 * own bounds and an hour.
 */
export function validateHealthchecks(healthchecks: HealthchecksSpec, problems: ProblemList): void {
  for (const kind of probeKinds) {
    const probe = healthchecks[kind];
    if (probe) validateProbe(kind, probe, problems.under(`healthchecks.${kind}`));
  }
}

function validateProbe(kind: ProbeKind, probe: HealthcheckProbeSpec, problems: ProblemList): void {
  const actions = [probe.http_get_path !== undefined, probe.tcp_socket_port !== undefined, (probe.exec_command ?? []).length > 0].filter(Boolean).length;
  if (actions !== 1) problems.add("", "set exactly one of http_get_path, tcp_socket_port or exec_command");
  if (probe.http_get_path !== undefined) {
    const rule = httpPathProblem(probe.http_get_path);
    if (rule) problems.add(".http_get_path", rule);
  } else if (probe.http_get_port !== undefined) {
    problems.add(".http_get_port", "applies only to probes with http_get_path");
  }
  port(".http_get_port", probe.http_get_port, problems);
  if (probe.http_get_scheme !== undefined && !["HTTP", "HTTPS"].includes(probe.http_get_scheme)) problems.add(".http_get_scheme", "must be HTTP or HTTPS");
  port(".tcp_socket_port", probe.tcp_socket_port, problems);
  if (probe.exec_command !== undefined) validateCommand(probe.exec_command, problems);
  range(".initial_delay_seconds", probe.initial_delay_seconds, 0, 3600, problems);
  range(".period_seconds", probe.period_seconds, 1, 3600, problems);
  range(".timeout_seconds", probe.timeout_seconds, 1, 3600, problems);
  range(".failure_threshold", probe.failure_threshold, 1, 100, problems);
  if (range(".success_threshold", probe.success_threshold, 1, 100, problems) && kind !== "readiness" && probe.success_threshold !== undefined && probe.success_threshold !== 1) {
    problems.add(".success_threshold", "must be 1 for liveness and startup probes (Kubernetes allows no other value)");
  }
}

function httpPathProblem(path: string): string | null {
  if (!path.startsWith("/")) return "must start with '/'";
  if (path.length > maxPathLength) return `must be at most ${maxPathLength} characters`;
  if (!pathCharacters.test(path)) return "may hold only letters, digits and -._~!$&'()*+,;=:@%/? (no spaces, control characters, '#' or '\\')";
  return null;
}

function validateCommand(command: string[], problems: ProblemList): void {
  if (command.length > maxArguments) {
    problems.add(".exec_command", `must hold at most ${maxArguments} arguments`);
    return;
  }
  command.forEach((argument, i) => {
    const at = `.exec_command[${i}]`;
    if (argument === "") problems.add(at, "must not be empty");
    else if (forbiddenControls.test(argument)) problems.add(at, "must not hold control characters other than tab and newline");
    else if (Buffer.byteLength(argument) > maxArgumentBytes) problems.add(at, `must be at most ${maxArgumentBytes} bytes`);
  });
}

function port(field: string, value: number | undefined, problems: ProblemList): void {
  range(field, value, 1, 65535, problems);
}

/** Adds a problem when `value` is set and outside min..max; true when it is within (or unset). */
function range(field: string, value: number | undefined, min: number, max: number, problems: ProblemList): boolean {
  if (value === undefined || (value >= min && value <= max)) return true;
  problems.add(field, `must be between ${min} and ${max}`);
  return false;
}
