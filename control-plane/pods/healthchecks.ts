import { probeDefaults } from "../../shared/healthchecks/probe-defaults.js";
import type { HealthcheckProbeSpec, HealthchecksSpec, PodFields, PodRecord } from "./pod-model.js";

/** The probes a pod may have, in the order results list them. */
export const probeKinds = ["liveness", "readiness", "startup"] as const;
export type ProbeKind = (typeof probeKinds)[number];

/** A probe as results show it: every field, defaults filled in; the port of an HTTP GET only when there is one. */
export interface ProbeView {
  http_get_path: string | null;
  http_get_port: number | null;
  http_get_scheme: string;
  exec_command: string[];
  tcp_socket_port: number | null;
  initial_delay_seconds: number;
  period_seconds: number;
  timeout_seconds: number;
  failure_threshold: number;
  success_threshold: number;
}

export interface HealthchecksView {
  liveness: ProbeView | null;
  readiness: ProbeView | null;
  startup: ProbeView | null;
  networking_requires_ready: boolean;
}

export function probeWithDefaults(probe: HealthcheckProbeSpec): ProbeView {
  return {
    http_get_path: probe.http_get_path ?? null,
    http_get_port: probe.http_get_path !== undefined ? (probe.http_get_port ?? probeDefaults.httpGetPort) : null,
    http_get_scheme: probe.http_get_scheme ?? probeDefaults.httpGetScheme,
    exec_command: probe.exec_command ?? [],
    tcp_socket_port: probe.tcp_socket_port ?? null,
    initial_delay_seconds: probe.initial_delay_seconds ?? probeDefaults.initialDelaySeconds,
    period_seconds: probe.period_seconds ?? probeDefaults.periodSeconds,
    timeout_seconds: probe.timeout_seconds ?? probeDefaults.timeoutSeconds,
    failure_threshold: probe.failure_threshold ?? probeDefaults.failureThreshold,
    success_threshold: probe.success_threshold ?? probeDefaults.successThreshold,
  };
}

/** The pod's healthchecks as results show them; null when it has none. */
export function healthchecksView(healthchecks: HealthchecksSpec | undefined): HealthchecksView | null {
  if (!healthchecks) return null;
  const probe = (kind: ProbeKind) => (healthchecks[kind] ? probeWithDefaults(healthchecks[kind]!) : null);
  return {
    liveness: probe("liveness"),
    readiness: probe("readiness"),
    startup: probe("startup"),
    networking_requires_ready: healthchecks.networking_requires_ready ?? true,
  };
}

/** Whether a pod's URLs wait for it to be ready: it has a readiness probe and networking_requires_ready is not false. */
export function waitsForReadiness(healthchecks: HealthchecksSpec | undefined): boolean {
  return Boolean(healthchecks?.readiness) && healthchecks?.networking_requires_ready !== false;
}

/**
 * Whether the edge routes a pod's URLs now (upstream's networking_live): the
 * pod is AVAILABLE and, when its URLs wait for readiness, its cluster
 * reported it ready (status_container.ready). `effective` is its
 * template-merged definition.
 */
export function networkingLive(pod: Pick<PodRecord, "status" | "statusContainer">, effective: PodFields): boolean {
  if (pod.status !== "AVAILABLE") return false;
  return !waitsForReadiness(effective.healthchecks) || pod.statusContainer.ready === true;
}
