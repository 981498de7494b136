import { Table, type MigrationInterface, type QueryRunner } from "typeorm";

/** Clusters registered through the Clusters API, and the credentials of their agents. */
export class Clusters1764201600000 implements MigrationInterface {
  name = "Clusters1764201600000";

  async up(qr: QueryRunner): Promise<void> {
    const text = qr.connection.options.type === "better-sqlite3" ? "text" : "longtext";
    await qr.createTable(
      new Table({
        name: "clusters",
        columns: [
          { name: "cluster_id", type: "varchar", length: "64", isPrimary: true },
          { name: "description", type: "varchar", length: "2048" },
          { name: "compute_queues", type: text },
          { name: "namespace", type: "varchar", length: "64" },
          { name: "volume_storage_class", type: "varchar", length: "255" },
          { name: "domain", type: "varchar", length: "255" },
          { name: "creation_ts", type: "bigint" },
          { name: "update_ts", type: "bigint" },
        ],
      }),
      true,
    );
    await qr.createTable(
      new Table({
        name: "agent_tokens",
        columns: [
          { name: "token_id", type: "varchar", length: "64", isPrimary: true },
          { name: "cluster_id", type: "varchar", length: "64" },
          { name: "secret_sha256", type: "varchar", length: "64" },
          { name: "description", type: "varchar", length: "2048" },
          { name: "creation_ts", type: "bigint" },
        ],
        indices: [
          { name: "agent_tokens_by_secret", columnNames: ["secret_sha256"], isUnique: true },
          { name: "agent_tokens_by_cluster", columnNames: ["cluster_id"] },
        ],
      }),
      true,
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable("agent_tokens", true);
    await qr.dropTable("clusters", true);
  }
}
