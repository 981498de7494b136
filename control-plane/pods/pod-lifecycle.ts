import { podDefaults, type PodFields, type PodRecord, type PodStatusName, type StatusRequestedName } from "./pod-model.js";

/**
 * The pod state machine, as pure functions. The API side writes what the user
 * wants (status_requested, generation); the cluster side reports what it sees
 * (status). Each function returns the fields to change and an action-log line,
 * or `null` when nothing changes.
 */
export interface Transition {
  changes: Partial<PodRecord>;
  /** The cluster must act: the generation rises and an event is published. */
  notifyCluster: boolean;
  action: string;
  /** Who caused it: a username, "time_to_stop" or "cluster". */
  actor: string;
}

/** An observation of one pod reported by its cluster's agent. */
export interface Observation {
  uid: string;
  generation: number;
  status: PodStatusName;
  statusContainer: Record<string, unknown>;
  event: string;
  instanceStartedAt: number | null;
}

const running: ReadonlySet<PodStatusName> = new Set(["REQUESTED", "SPAWNING", "AVAILABLE", "RESTARTING"]);
const finished: ReadonlySet<PodStatusName> = new Set(["STOPPED", "COMPLETE", "ERROR"]);

export function requestStart(pod: PodRecord, actor: string): Transition | null {
  if (pod.statusRequested === "ON" && running.has(pod.status)) return null;
  return {
    changes: {
      statusRequested: "ON",
      status: "REQUESTED",
      fields: withoutInstanceTimeToStop(pod.fields),
      timeToStopTs: null,
    },
    notifyCluster: true,
    action: `Start requested by ${actor}.`,
    actor,
  };
}

export function requestStop(pod: PodRecord, actor: string): Transition | null {
  if (pod.statusRequested === "OFF") return null;
  return {
    changes: { statusRequested: "OFF", timeToStopTs: null },
    notifyCluster: true,
    action: `Stop requested by ${actor}.`,
    actor,
  };
}

export function requestRestart(pod: PodRecord, actor: string): Transition {
  return {
    changes: {
      statusRequested: "RESTART",
      status: "RESTARTING",
      fields: withoutInstanceTimeToStop(pod.fields),
      timeToStopTs: null,
    },
    notifyCluster: true,
    action: `Restart requested by ${actor}.`,
    actor,
  };
}

/** The transition a user's status_requested asks for (create is separate). */
export function requestStatus(pod: PodRecord, wanted: StatusRequestedName, actor: string): Transition | null {
  if (wanted === "ON") return requestStart(pod, actor);
  if (wanted === "OFF") return requestStop(pod, actor);
  return requestRestart(pod, actor);
}

/**
 * Applies what the agent saw. Reports about another incarnation of the pod
 * (uid) or an older generation are dropped: the agent has since been told
 * something newer. A restart completes here: once the old instance is gone,
 * the pod is asked to run again. `runSeconds` comes from runSecondsOf.
 */
export function applyObservation(pod: PodRecord, seen: Observation, runSeconds: number): Transition | null {
  if (seen.uid !== pod.uid || seen.generation < pod.generation) return null;
  const changes: Partial<PodRecord> = { status: seen.status, statusContainer: seen.statusContainer };
  if (seen.instanceStartedAt !== null) {
    changes.startInstanceTs = seen.instanceStartedAt;
    changes.timeToStopTs = timeToStopAt(runSeconds, seen.instanceStartedAt);
  }
  if (finished.has(seen.status)) changes.timeToStopTs = null;
  if (pod.statusRequested === "RESTART" && finished.has(seen.status)) {
    return {
      changes: { ...changes, statusRequested: "ON", status: "RESTARTING" },
      notifyCluster: true,
      action: joinActions(seen.event, "Previous instance is gone; starting a new one."),
      actor: "cluster",
    };
  }
  const statusChanged = seen.status !== pod.status;
  if (!statusChanged && seen.event === "" && seen.instanceStartedAt === null) {
    return sameJson(seen.statusContainer, pod.statusContainer) ? null : { changes, notifyCluster: false, action: "", actor: "cluster" };
  }
  const action = statusChanged ? joinActions(seen.event, `Status changed to ${seen.status}.`) : seen.event;
  return { changes, notifyCluster: false, action, actor: "cluster" };
}

/**
 * How long an instance may run: time_to_stop_instance if set, else
 * time_to_stop_default; -1 means it never stops. `fields` is the effective
 * (template-merged) definition.
 */
export function runSecondsOf(fields: PodFields): number {
  return fields.time_to_stop_instance ?? fields.time_to_stop_default ?? podDefaults.timeToStopDefault;
}

/** When an instance started at `instanceStart` must stop, or null for never. */
export function timeToStopAt(runSeconds: number, instanceStart: number): number | null {
  return runSeconds === -1 ? null : instanceStart + runSeconds * 1000;
}

function withoutInstanceTimeToStop(fields: PodFields): PodFields {
  const { time_to_stop_instance: _dropped, ...rest } = fields;
  return rest;
}

function joinActions(first: string, second: string): string {
  return first ? `${first} ${second}` : second;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
