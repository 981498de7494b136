import { Code, ConnectError, type Client } from "@connectrpc/connect";
import type { AgentService, DesiredPod } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import type { Logger } from "../../shared/logging/logger.js";
import { parseKey, type ClusterDriver, type PodKey, type SyncOutcome } from "../drivers/cluster-driver.js";

/**
 * Level-triggered sync of one pod: has the driver make the cluster match the
 * pod's desired state, and removes a pod the control plane no longer knows.
 * The state comes from the running resync listing when it holds one for the
 * pod and nothing changed since; otherwise it is read afresh from the control
 * plane. Safe to run any number of times. A pod the cluster refused for good
 * is left alone until it changes (a new uid or generation), however often
 * events or resyncs bring it back.
 */
export class PodReconciler {
  /** The incarnation and generation of each pod last refused for good. */
  private readonly refused = new Map<string, string>();
  /** States from a resync listing, each used by the next sync of its pod, then dropped. */
  private readonly listed = new Map<string, DesiredPod>();
  /** Pods an event announced since the current listing began; null while none runs. */
  private announced: Set<string> | null = null;

  constructor(
    private readonly client: Client<typeof AgentService>,
    private readonly driver: ClusterDriver,
    private readonly clusterId: string,
    private readonly logger: Logger,
  ) {}

  /**
   * An event said `key` changed: a listed state of it may predate the
   * change, so the next sync reads the pod afresh.
   */
  changed(key: string): void {
    this.listed.delete(key);
    this.announced?.add(key);
  }

  /** A listing starts reading desired state now; events from here on outrank what it lists. */
  beginListing(): void {
    this.announced = new Set();
  }

  /**
   * Keeps a listed state for the next sync of `key`, unless an event for the
   * pod arrived since the listing began: the listing may have read the pod
   * before that change, and the event's own sync must not be undone by it.
   */
  offer(key: string, desired: DesiredPod): void {
    if (this.announced?.has(key)) return;
    this.listed.set(key, desired);
  }

  /** Drops a listed state that will not be synced. */
  discard(key: string): void {
    this.listed.delete(key);
  }

  endListing(): void {
    this.announced = null;
  }

  async sync(key: string): Promise<SyncOutcome> {
    const pod = parseKey(key);
    const listed = this.listed.get(key);
    this.listed.delete(key);
    const desired = listed ?? (await this.desired(pod));
    if (!desired) {
      this.refused.delete(key);
      return this.driver.remove(pod);
    }
    const version = `${desired.uid}/${desired.generation}`;
    if (this.refused.get(key) === version) {
      this.logger.debug("pod unchanged since Kubernetes refused it; not retried", { pod: key, generation: String(desired.generation) });
      return { kind: "done" };
    }
    this.refused.delete(key);
    const outcome = await this.driver.apply(desired);
    if (outcome.kind === "terminal") this.refused.set(key, version);
    return outcome;
  }

  private async desired(pod: PodKey): Promise<DesiredPod | null> {
    try {
      const response = await this.client.getDesiredPod({ clusterId: this.clusterId, tenantId: pod.tenantId, podId: pod.podId });
      return response.pod ?? null;
    } catch (error) {
      if (error instanceof ConnectError && error.code === Code.NotFound) return null;
      throw error;
    }
  }
}
