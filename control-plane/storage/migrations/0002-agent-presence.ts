import { Table, type MigrationInterface, type QueryRunner } from "typeorm";

/** Which replica holds the sessions of which cluster's agents, for routing exec and uploads. */
export class AgentPresence1764115200000 implements MigrationInterface {
  name = "AgentPresence1764115200000";

  async up(qr: QueryRunner): Promise<void> {
    await qr.createTable(
      new Table({
        name: "agent_presence",
        columns: [
          { name: "replica_id", type: "varchar", length: "64", isPrimary: true },
          { name: "cluster_id", type: "varchar", length: "64", isPrimary: true },
          { name: "replica_url", type: "varchar", length: "255" },
          { name: "heartbeat_at", type: "bigint" },
        ],
        indices: [{ name: "agent_presence_by_cluster", columnNames: ["cluster_id", "heartbeat_at"] }],
      }),
      true,
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable("agent_presence", true);
  }
}
