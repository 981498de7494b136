import { Table, type MigrationInterface, type QueryRunner, type TableColumnOptions } from "typeorm";

/** Volumes and snapshots (their records; the files live on the clusters' storage), and leases for jobs that run once across replicas. */
export class VolumesAndSnapshots1766000000000 implements MigrationInterface {
  name = "VolumesAndSnapshots1766000000000";

  async up(qr: QueryRunner): Promise<void> {
    const text = qr.connection.options.type === "better-sqlite3" ? "text" : "longtext";
    const shared = (idColumn: string): TableColumnOptions[] => [
      { name: "tenant_id", type: "varchar", length: "64", isPrimary: true },
      { name: idColumn, type: "varchar", length: "64", isPrimary: true },
      { name: "cluster_id", type: "varchar", length: "64" },
      { name: "description", type: "varchar", length: "255" },
      { name: "size_limit_mb", type: "int" },
      { name: "size_bytes", type: "bigint" },
      { name: "status", type: "varchar", length: "16" },
      { name: "status_reason", type: text },
      { name: "creation_ts", type: "bigint" },
      { name: "update_ts", type: "bigint" },
      { name: "claimed_by", type: "varchar", length: "64", isNullable: true },
      { name: "claimed_until", type: "bigint" },
    ];
    await qr.createTable(
      new Table({ name: "volumes", columns: shared("volume_id"), indices: [{ name: "volumes_by_status", columnNames: ["status", "claimed_until"] }] }),
      true,
    );
    await qr.createTable(
      new Table({
        name: "snapshots",
        columns: [
          ...shared("snapshot_id"),
          { name: "source_volume_id", type: "varchar", length: "64" },
          { name: "source_volume_path", type: text },
          { name: "destination_path", type: text },
          { name: "cron", type: "varchar", length: "128" },
          { name: "retention_policy", type: "varchar", length: "128" },
          { name: "next_run_ts", type: "bigint", isNullable: true },
          { name: "schedule_id", type: "varchar", length: "64", isNullable: true },
        ],
        indices: [
          { name: "snapshots_by_status", columnNames: ["status", "claimed_until"] },
          { name: "snapshots_by_next_run", columnNames: ["next_run_ts"] },
          { name: "snapshots_by_schedule", columnNames: ["tenant_id", "schedule_id"] },
        ],
      }),
      true,
    );
    await qr.createTable(
      new Table({
        name: "leases",
        columns: [
          { name: "name", type: "varchar", length: "64", isPrimary: true },
          { name: "holder", type: "varchar", length: "64" },
          { name: "until", type: "bigint" },
        ],
      }),
      true,
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable("leases", true);
    await qr.dropTable("snapshots", true);
    await qr.dropTable("volumes", true);
  }
}
