import type { EntityManager } from "typeorm";
import { podChangedMessage } from "../events/pod-changed.js";
import { outboxRepository } from "../storage/outbox-repository.js";
import { podRepository } from "../storage/pod-repository.js";
import type { Transition } from "./pod-lifecycle.js";
import type { PodRecord } from "./pod-model.js";

/**
 * Stores a transition inside the caller's transaction: the pod's new fields,
 * its action-log line and, when the cluster must act, a higher generation and
 * the outbox event announcing it. Returns the pod as now stored.
 */
export async function writeTransition(tx: EntityManager, pod: PodRecord, transition: Transition, now: number): Promise<PodRecord> {
  const changes: Partial<PodRecord> = { ...transition.changes, updateTs: now };
  if (transition.notifyCluster) changes.generation = pod.generation + 1;
  await podRepository.update(tx, pod.tenantId, pod.podId, changes);
  await podRepository.addActionLog(tx, pod.tenantId, pod.podId, now, transition.action);
  const updated = { ...pod, ...changes };
  if (transition.notifyCluster) await outboxRepository.add(tx, [podChangedMessage(updated, false, now)], now);
  return updated;
}
