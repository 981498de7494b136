import type { EntityManager } from "typeorm";
import type { BusMessage } from "../../shared/events/event-bus.js";
import { podChangedMessage } from "../events/pod-changed.js";
import { podLifecycleMessage } from "../events/pod-lifecycle-event.js";
import type { ActionLogRepository } from "../storage/action-log-repository.js";
import { outboxRepository } from "../storage/outbox-repository.js";
import { podRepository } from "../storage/pod-repository.js";
import type { Transition } from "./pod-lifecycle.js";
import type { PodRecord } from "./pod-model.js";

/**
 * Stores a transition inside the caller's transaction: the pod's new fields,
 * its action-log line, and in the outbox the events it causes: when the
 * cluster must act, a higher generation and PodChanged for its agents; when
 * the status or the requested status changes, a lifecycle event for other
 * services. Returns the pod as now stored, and whether it wrote events (the
 * caller wakes the outbox relay after its commit). The events are stamped with
 * `clock()` as they are written, the last thing before the caller commits.
 */
export async function writeTransition(
  tx: EntityManager,
  pod: PodRecord,
  transition: Transition,
  now: number,
  deps: { actionLog: ActionLogRepository; clock: () => number },
): Promise<{ pod: PodRecord; wroteEvents: boolean }> {
  const changes: Partial<PodRecord> = { ...transition.changes, updateTs: now };
  if (transition.notifyCluster) changes.generation = pod.generation + 1;
  await podRepository.update(tx, pod.tenantId, pod.podId, changes);
  await deps.actionLog.add(tx, pod.tenantId, pod.podId, now, transition.action);
  const updated = { ...pod, ...changes };
  const events: BusMessage[] = [];
  const writtenAt = deps.clock();
  if (transition.notifyCluster) events.push(podChangedMessage(updated, false, writtenAt));
  if (updated.status !== pod.status || updated.statusRequested !== pod.statusRequested) {
    events.push(podLifecycleMessage(updated, pod.status, { actor: transition.actor, reason: transition.action }, now));
  }
  await outboxRepository.add(tx, events, writtenAt);
  return { pod: updated, wroteEvents: events.length > 0 };
}
