import { Table, type MigrationInterface, type QueryRunner } from "typeorm";

/** The exec audit: one row per command run in a pod (POST exec, interactive sessions). */
export class ExecAudit1770500000000 implements MigrationInterface {
  name = "ExecAudit1770500000000";

  async up(qr: QueryRunner): Promise<void> {
    const text = qr.connection.options.type === "better-sqlite3" ? "text" : "longtext";
    await qr.createTable(
      new Table({
        name: "pod_exec_audit",
        columns: [
          { name: "id", type: "integer", isPrimary: true, isGenerated: true, generationStrategy: "increment" },
          { name: "tenant_id", type: "varchar", length: "64" },
          { name: "pod_id", type: "varchar", length: "64" },
          { name: "kind", type: "varchar", length: "16" },
          { name: "username", type: "varchar", length: "128" },
          { name: "started_at", type: "bigint" },
          { name: "duration_ms", type: "int" },
          { name: "command", type: text },
          { name: "exit_code", type: "int", isNullable: true },
          { name: "bytes_in", type: "bigint" },
          { name: "bytes_out", type: "bigint" },
          { name: "request_id", type: "varchar", length: "64" },
          { name: "error", type: text },
        ],
        indices: [{ name: "pod_exec_audit_by_pod", columnNames: ["tenant_id", "pod_id", "id"] }],
      }),
      true,
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable("pod_exec_audit", true);
  }
}
