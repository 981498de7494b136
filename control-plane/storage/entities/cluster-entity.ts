import { EntitySchema } from "typeorm";
import { epochMillis, jsonText, shortText } from "./column-types.js";

/** How one compute queue of a cluster maps onto its nodes. */
export interface ComputeQueueSpec {
  name: string;
  node_selector: Record<string, string>;
  tolerations: string[];
}

/** A PersistentVolumeClaim of the cluster that pods of the named tenants may mount. */
export interface ClaimGrantSpec {
  claim_name: string;
  tenants: string[];
}

export interface ClusterRow {
  clusterId: string;
  description: string;
  computeQueues: ComputeQueueSpec[];
  namespace: string;
  volumeStorageClass: string;
  domain: string;
  claims: ClaimGrantSpec[];
  creationTs: number;
  updateTs: number;
}

export const ClusterEntity = new EntitySchema<ClusterRow>({
  name: "Cluster",
  tableName: "clusters",
  columns: {
    clusterId: { ...shortText(64), primary: true, name: "cluster_id" },
    description: shortText(2048),
    computeQueues: { ...jsonText(), name: "compute_queues" },
    namespace: shortText(64),
    volumeStorageClass: { ...shortText(255), name: "volume_storage_class" },
    domain: shortText(255),
    claims: jsonText(),
    creationTs: { ...epochMillis(), name: "creation_ts" },
    updateTs: { ...epochMillis(), name: "update_ts" },
  },
});

/** An agent credential: only the SHA-256 of its secret is kept. */
export interface AgentTokenRow {
  tokenId: string;
  clusterId: string;
  secretSha256: string;
  description: string;
  creationTs: number;
}

export const AgentTokenEntity = new EntitySchema<AgentTokenRow>({
  name: "AgentToken",
  tableName: "agent_tokens",
  columns: {
    tokenId: { ...shortText(64), primary: true, name: "token_id" },
    clusterId: { ...shortText(64), name: "cluster_id" },
    secretSha256: { ...shortText(64), name: "secret_sha256" },
    description: shortText(2048),
    creationTs: { ...epochMillis(), name: "creation_ts" },
  },
});
