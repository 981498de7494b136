import { Table, TableColumn, type MigrationInterface, type QueryRunner } from "typeorm";

/**
 * Log runs: container output is kept per start/stop cycle instead of only
 * for the current instance. What pods hold now becomes their run 1, closed
 * when the pod is no longer running.
 */
export class LogRuns1770600000000 implements MigrationInterface {
  name = "LogRuns1770600000000";

  async up(qr: QueryRunner): Promise<void> {
    await qr.createTable(
      new Table({
        name: "pod_log_runs",
        columns: [
          { name: "tenant_id", type: "varchar", length: "64", isPrimary: true },
          { name: "pod_id", type: "varchar", length: "64", isPrimary: true },
          { name: "run_index", type: "int", isPrimary: true },
          { name: "started_at", type: "bigint" },
          { name: "stopped_at", type: "bigint", isNullable: true },
          { name: "log_size_bytes", type: "bigint" },
        ],
      }),
      true,
    );
    await qr.addColumn("pod_log_chunks", new TableColumn({ name: "run_index", type: "int", default: 1 }));
    await qr.query(
      `INSERT INTO pod_log_runs (tenant_id, pod_id, run_index, started_at, stopped_at, log_size_bytes)
       SELECT c.tenant_id, c.pod_id, 1, MIN(c.at), CASE WHEN p.status IN ('STOPPED', 'COMPLETE', 'ERROR') THEN MAX(c.at) ELSE NULL END, SUM(c.bytes)
       FROM pod_log_chunks c JOIN pods p ON p.tenant_id = c.tenant_id AND p.pod_id = c.pod_id
       GROUP BY c.tenant_id, c.pod_id, p.status`,
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropColumn("pod_log_chunks", "run_index");
    await qr.dropTable("pod_log_runs", true);
  }
}
