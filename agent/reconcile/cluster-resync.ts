import type { Client } from "@connectrpc/connect";
import type { AgentService } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { podEventKey } from "../../shared/events/event-bus.js";
import { holdsKey, type Assignment } from "../../shared/events/key-partitions.js";
import type { Logger } from "../../shared/logging/logger.js";
import { keyString, type ClusterDriver } from "../drivers/cluster-driver.js";
import type { PodReconciler } from "./pod-reconciler.js";
import type { WorkQueue } from "./work-queue.js";

/** What one resync saw. */
export interface ResyncSummary {
  /** Pods the control plane listed for this agent's share. */
  listed: number;
  /** Pods of this agent's share the cluster holds objects for. */
  present: number;
  /** The share: partitions of the cluster's topic this agent held; null when it held none yet. */
  partitionCount: number;
  partitions: number[] | null;
}

export interface ClusterResyncDeps {
  clusterId: string;
  client: Client<typeof AgentService>;
  reconciler: PodReconciler;
  queue: WorkQueue;
  driver: ClusterDriver;
  /** This agent's share of the cluster's event keys now; null before the event bus assigned one. */
  assignment(): Assignment | null;
  /** Deadline of the whole listing stream. */
  listingTimeoutMs: number;
  logger: Logger;
}

/**
 * The safety net for lost events, shared out the way events are: an agent
 * resyncs only the pods whose event partition it holds, so the agents of a
 * cluster each do their part. One streamed listing brings the share's
 * desired states; each is synced from the listing, without a read per pod,
 * and objects of the share that no pod wants are removed. Runs one at a
 * time; a request while one runs is served by one more run after it.
 */
export class ClusterResync {
  private running: Promise<ResyncSummary> | null = null;
  private next: Promise<ResyncSummary> | null = null;

  constructor(private readonly deps: ClusterResyncDeps) {}

  /** Resolves with a resync that began after this call, once every pod it covered was synced once. */
  run(): Promise<ResyncSummary> {
    if (!this.running) return this.start();
    this.next ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.next = null;
        return this.start();
      });
    return this.next;
  }

  private start(): Promise<ResyncSummary> {
    this.running = this.resync().finally(() => (this.running = null));
    return this.running;
  }

  private async resync(): Promise<ResyncSummary> {
    const { reconciler, queue, logger } = this.deps;
    const assignment = this.deps.assignment();
    if (!assignment) {
      logger.debug("resync skipped: the event bus has not assigned this agent a share yet");
      return { listed: 0, present: 0, partitionCount: 0, partitions: null };
    }
    const listed = await this.readListing(assignment);
    const present = (await this.deps.driver.list()).map(keyString).filter((key) => holdsKey(assignment, key));
    // Listed pods sync from their listed state; present ones nobody listed are read afresh (and removed when gone).
    await Promise.all([...new Set([...listed, ...present])].map((key) => queue.enqueue(key)));
    const summary = { listed: listed.length, present: present.length, partitionCount: assignment.partitionCount, partitions: assignment.partitions };
    logger.info("resync done", summary);
    return summary;
  }

  /**
   * Reads the share's listing whole (within its deadline) and offers each
   * state to the reconciler; returns the keys listed. The states wait in
   * the reconciler until synced, so the stream is never held open by a slow
   * cluster.
   */
  private async readListing(assignment: Assignment): Promise<string[]> {
    const { client, reconciler, clusterId, listingTimeoutMs } = this.deps;
    const keys: string[] = [];
    let complete = false;
    reconciler.beginListing();
    try {
      const listing = client.streamDesiredPods(
        { clusterId, partitionCount: assignment.partitionCount, partitions: assignment.partitions },
        { timeoutMs: listingTimeoutMs },
      );
      for await (const { pod } of listing) {
        if (!pod) continue;
        const key = podEventKey(pod.tenantId, pod.podId);
        reconciler.offer(key, pod);
        keys.push(key);
      }
      complete = true;
    } finally {
      reconciler.endListing();
      // A broken listing syncs nothing: drop what it offered rather than let a later sync pick it up.
      if (!complete) for (const key of keys) reconciler.discard(key);
    }
    return keys;
  }
}
