import type { V1ContainerStatus, V1Pod } from "@kubernetes/client-node";
import { PodStatus } from "../../../gen/tapis/pods/v1/pod_pb.js";
import { containerName } from "./pod-objects.js";

/** What a Kubernetes Pod says about the service's pod. */
export interface SeenStatus {
  status: PodStatus;
  /** Why, when it matters (errors, restarts). */
  reason: string;
  /** When the running container started; set once it is AVAILABLE. */
  startedAt: Date | null;
  restarts: number;
  container: Record<string, string | number | boolean>;
}

/** Waiting reasons that will not fix themselves. */
const failingReasons = new Set([
  "ImagePullBackOff",
  "ErrImagePull",
  "InvalidImageName",
  "ErrImageNeverPull",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
  "CrashLoopBackOff",
]);

/**
 * Maps a Pod to the service's status: being deleted → SHUTTING_DOWN; waiting
 * on an image or config error, crash-looping, OOM-killed or Failed → ERROR
 * with the reason; Succeeded → COMPLETE; running and ready → AVAILABLE, and
 * so is a running container with a readiness probe once its startup probe
 * (if any) passed, ready or not (as upstream has it: readiness shows in
 * status_container.ready, and gates only the pod's URLs); anything else on
 * the way up → SPAWNING.
 */
export function seenStatus(pod: V1Pod): SeenStatus {
  const container = pod.status?.containerStatuses?.find((c) => c.name === containerName);
  const restarts = container?.restartCount ?? 0;
  const base = { restarts, container: containerSummary(pod, container) };
  if (pod.metadata?.deletionTimestamp) return { ...base, status: PodStatus.SHUTTING_DOWN, reason: "", startedAt: null };
  const phase = pod.status?.phase;
  const waiting = container?.state?.waiting;
  const lastTerminated = container?.lastState?.terminated;
  if (waiting?.reason && failingReasons.has(waiting.reason)) {
    const cause = lastTerminated?.reason === "OOMKilled" ? " (the container ran out of memory: OOMKilled)" : "";
    return { ...base, status: PodStatus.ERROR, reason: `${waiting.reason}${cause}: ${waiting.message ?? "see the pod logs"}`, startedAt: null };
  }
  if (phase === "Failed") {
    const terminated = container?.state?.terminated;
    const why = terminated ? `${terminated.reason ?? "Error"} (exit code ${terminated.exitCode})` : (pod.status?.reason ?? "Failed");
    return { ...base, status: PodStatus.ERROR, reason: `${why}${pod.status?.message ? `: ${pod.status.message}` : ""}`, startedAt: null };
  }
  if (phase === "Succeeded") return { ...base, status: PodStatus.COMPLETE, reason: "the container exited with code 0", startedAt: null };
  const running = container?.state?.running;
  const hasReadinessProbe = Boolean(pod.spec?.containers.find((c) => c.name === containerName)?.readinessProbe);
  if (phase === "Running" && running && (container?.ready || (hasReadinessProbe && container?.started !== false))) {
    return { ...base, status: PodStatus.AVAILABLE, reason: "", startedAt: running.startedAt ? new Date(running.startedAt) : new Date() };
  }
  if (phase === "Running" && running && container?.started === false) return { ...base, status: PodStatus.SPAWNING, reason: "waiting for the startup probe to pass", startedAt: null };
  const unschedulable = pod.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
  return { ...base, status: PodStatus.SPAWNING, reason: unschedulable?.message ?? waiting?.reason ?? "", startedAt: null };
}

function containerSummary(pod: V1Pod, container: V1ContainerStatus | undefined): Record<string, string | number | boolean> {
  const state = container?.state;
  const summary: Record<string, string | number | boolean> = { phase: pod.status?.phase ?? "Pending", ready: container?.ready ?? false, restart_count: container?.restartCount ?? 0 };
  if (state?.waiting?.reason) summary.waiting = state.waiting.reason;
  if (state?.terminated?.reason) summary.terminated = state.terminated.reason;
  const last = container?.lastState?.terminated;
  if (last) summary.last_termination = `${last.reason ?? "Terminated"} (exit code ${last.exitCode})`;
  if (pod.spec?.nodeName) summary.node = pod.spec.nodeName;
  if (pod.status?.podIP) summary.pod_ip = pod.status.podIP;
  return summary;
}
