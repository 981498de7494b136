import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { ClustersService, type ClaimGrant, type ComputeQueue } from "../../gen/tapis/pods/v1/clusters_service_pb.js";
import type { AgentSessions } from "../agents/agent-sessions.js";
import type { EventBus } from "../../shared/events/event-bus.js";
import { clusterCommandsTopic } from "../../shared/events/event-bus.js";
import type { ClusterRow, ComputeQueueSpec } from "../storage/entities/cluster-entity.js";
import type { ClusterFields, ClusterRegistry } from "./cluster-registry.js";

/** ClustersService: operators register clusters, their queues and their agents' credentials. */
export function clustersRpc(registry: ClusterRegistry, sessions: AgentSessions, bus: EventBus): ServiceImpl<typeof ClustersService> {
  const view = (row: ClusterRow) => ({
    clusterId: row.clusterId,
    description: row.description,
    computeQueues: row.computeQueues.map((q) => ({ name: q.name, nodeSelector: q.node_selector, tolerations: q.tolerations })),
    namespace: row.namespace,
    volumeStorageClass: row.volumeStorageClass,
    domain: row.domain,
    claims: row.claims.map((grant) => ({ claimName: grant.claim_name, tenants: grant.tenants })),
    agents: sessions.agentsOf(row.clusterId).map((agent) => ({
      agentId: agent.agentId,
      version: agent.version,
      connectedTs: timestampFromMs(agent.connectedAt),
      lastSeenTs: timestampFromMs(agent.lastSeenAt),
      healthy: agent.health.healthy,
      problem: agent.health.problems.join("; "),
      unhealthySince: agent.health.unhealthySince === null ? undefined : timestampFromMs(agent.health.unhealthySince),
    })),
    creationTs: timestampFromMs(row.creationTs),
    updateTs: timestampFromMs(row.updateTs),
  });
  return {
    async listClusters() {
      return { message: "Clusters retrieved successfully.", result: (await registry.list()).map(view) };
    },
    async getCluster(req) {
      return { message: "Cluster retrieved successfully.", result: view(await registry.get(req.clusterId)) };
    },
    async createCluster(req) {
      const row = await registry.create(req.clusterId, fieldsOf(req, true));
      await bus.prepare([clusterCommandsTopic(row.clusterId)]);
      return { message: "Cluster created successfully.", result: view(row) };
    },
    async updateCluster(req) {
      const mask = new Set(req.updateMask?.paths ?? []);
      return { message: "Cluster updated successfully.", result: view(await registry.update(req.clusterId, fieldsOf(req, false, mask))) };
    },
    async deleteCluster(req) {
      await registry.delete(req.clusterId);
      return { message: "Cluster deleted successfully.", result: "" };
    },
    async createAgentToken(req) {
      const token = await registry.createAgentToken(req.clusterId, req.description);
      return {
        message: "Agent token created; its secret is shown only now.",
        result: { tokenId: token.tokenId, clusterId: token.clusterId, secret: token.secret, description: token.description, creationTs: timestampFromMs(token.creationTs) },
      };
    },
  };
}

interface ClusterMessage {
  description: string;
  computeQueues: ComputeQueue[];
  namespace: string;
  volumeStorageClass: string;
  domain: string;
  claims: ClaimGrant[];
}

/** On create every field counts; on update only those named in the mask (or set, without one). */
function fieldsOf(req: ClusterMessage, all: boolean, mask: Set<string> = new Set()): ClusterFields {
  const wanted = (name: string, set: boolean) => all || (mask.size > 0 ? mask.has(name) : set);
  const queues: ComputeQueueSpec[] = req.computeQueues.map((q) => ({ name: q.name, node_selector: { ...q.nodeSelector }, tolerations: [...q.tolerations] }));
  return {
    ...(wanted("description", req.description !== "") ? { description: req.description } : {}),
    ...(wanted("compute_queues", queues.length > 0) ? { computeQueues: queues } : {}),
    ...(wanted("namespace", req.namespace !== "") ? { namespace: req.namespace } : {}),
    ...(wanted("volume_storage_class", req.volumeStorageClass !== "") ? { volumeStorageClass: req.volumeStorageClass } : {}),
    ...(wanted("domain", req.domain !== "") ? { domain: req.domain } : {}),
    ...(wanted("claims", req.claims.length > 0) ? { claims: req.claims.map((grant) => ({ claim_name: grant.claimName, tenants: [...grant.tenants] })) } : {}),
  };
}
