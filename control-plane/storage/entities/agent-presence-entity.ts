import { EntitySchema } from "typeorm";
import { epochMillis, shortText } from "./column-types.js";

/** A replica holding at least one session of a cluster's agents, as of its last heartbeat. */
export interface AgentPresenceRow {
  replicaId: string;
  clusterId: string;
  replicaUrl: string;
  heartbeatAt: number;
}

export const AgentPresenceEntity = new EntitySchema<AgentPresenceRow>({
  name: "AgentPresence",
  tableName: "agent_presence",
  columns: {
    replicaId: { ...shortText(64), primary: true, name: "replica_id" },
    clusterId: { ...shortText(64), primary: true, name: "cluster_id" },
    replicaUrl: { ...shortText(255), name: "replica_url" },
    heartbeatAt: { ...epochMillis(), name: "heartbeat_at" },
  },
});
