import { Code, ConnectError, type Client } from "@connectrpc/connect";
import type { AgentService, DesiredPod } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import type { Logger } from "../../shared/logging/logger.js";
import { parseKey, type ClusterDriver, type PodKey, type SyncOutcome } from "../drivers/cluster-driver.js";

/**
 * Level-triggered sync of one pod: re-reads the pod's desired state from the
 * control plane and has the driver make the cluster match it; a pod the
 * control plane no longer knows is removed. Safe to run any number of times.
 * A pod the cluster refused for good is left alone until it changes (a new
 * uid or generation), however often events or resyncs bring it back.
 */
export class PodReconciler {
  /** The incarnation and generation of each pod last refused for good. */
  private readonly refused = new Map<string, string>();

  constructor(
    private readonly client: Client<typeof AgentService>,
    private readonly driver: ClusterDriver,
    private readonly clusterId: string,
    private readonly logger: Logger,
  ) {}

  async sync(key: string): Promise<SyncOutcome> {
    const pod = parseKey(key);
    const desired = await this.desired(pod);
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

/** Every pod key the control plane places on this cluster, page by page. */
export async function desiredKeys(client: Client<typeof AgentService>, clusterId: string): Promise<string[]> {
  const keys: string[] = [];
  let pageToken = "";
  do {
    const page = await client.listDesiredPods({ clusterId, pageToken, pageSize: 500 });
    for (const pod of page.pods) keys.push(`${pod.tenantId}/${pod.podId}`);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return keys;
}
