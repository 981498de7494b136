import type { Assignment } from "./key-partitions.js";

/** One message on a topic. Messages with the same key are delivered in order. */
export interface BusMessage {
  topic: string;
  key: string;
  value: Uint8Array;
}

/**
 * Handles one delivered message; a rejection asks for redelivery. Messages
 * of other keys are handed on meanwhile; the next message of the same key
 * waits until this one is handled.
 */
export type BusHandler = (message: BusMessage) => Promise<void>;

export interface SubscribeOptions {
  /**
   * Called with this member's share of the topic's keys each time the group
   * gives it one: on joining, and after every rebalance (a member joined,
   * left or died).
   */
  onAssignment?(assignment: Assignment): void;
}

export interface Subscription {
  /** This member's share of the topic's keys now; null until the group first gave it one. */
  assignment(): Assignment | null;
  /** Messages of this member's share not handled yet (0 when it cannot tell). */
  lag(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Carries events between the control plane and agents. Delivery is at least
 * once: consumers must tolerate duplicates, and the agents' periodic resync
 * heals anything lost. Members of one consumer group share a topic's messages
 * by key: each holds the keys of some partitions (see key-partitions.ts), and
 * each group sees every message.
 */
export interface EventBus {
  /** Connects and creates the topics that are missing (a bus may also do so lazily). */
  prepare(topics: string[]): Promise<void>;
  publish(messages: BusMessage[]): Promise<void>;
  /** Resolves when the bus can carry messages now; rejects saying why not. */
  ping(): Promise<void>;
  subscribe(topic: string, group: string, handler: BusHandler, options?: SubscribeOptions): Promise<Subscription>;
  close(): Promise<void>;
}

/** Key of a pod's events: keeps one pod's events in order on every bus, and places the pod in a partition. */
export function podEventKey(tenantId: string, podId: string): string {
  return `${tenantId}/${podId}`;
}

/** Topic carrying PodChanged for one cluster's agents. */
export function clusterCommandsTopic(clusterId: string): string {
  return `pods.commands.${clusterId}`;
}

/** Topic carrying PodLifecycleEvent for other services. */
export const podEventsTopic = "pods.events";
