import { Table, type MigrationInterface, type QueryRunner } from "typeorm";

/** The access gate: pods' access tokens (hashed), failed redemptions by client address, and the gate's audit. */
export class AccessGate1770700000000 implements MigrationInterface {
  name = "AccessGate1770700000000";

  async up(qr: QueryRunner): Promise<void> {
    const text = qr.connection.options.type === "better-sqlite3" ? "text" : "longtext";
    await qr.createTable(
      new Table({
        name: "pod_access_tokens",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "tenant_id", type: "varchar", length: "64" },
          { name: "pod_id", type: "varchar", length: "64" },
          { name: "kind", type: "varchar", length: "16" },
          { name: "label", type: "varchar", length: "100" },
          { name: "secret_hash", type: "varchar", length: "64", isNullable: true },
          { name: "password_hash", type: "varchar", length: "200", isNullable: true },
          { name: "created_by", type: "varchar", length: "128" },
          { name: "created_at", type: "bigint" },
          { name: "expires_at", type: "bigint", isNullable: true },
          { name: "max_uses", type: "int", isNullable: true },
          { name: "uses", type: "int" },
          { name: "revoked", type: "int" },
          { name: "last_used_at", type: "bigint", isNullable: true },
        ],
        indices: [
          { name: "pod_access_tokens_by_pod", columnNames: ["tenant_id", "pod_id"] },
          { name: "pod_access_tokens_by_secret", columnNames: ["secret_hash"] },
        ],
      }),
      true,
    );
    await qr.createTable(
      new Table({
        name: "pod_gate_attempts",
        columns: [
          { name: "id", type: "integer", isPrimary: true, isGenerated: true, generationStrategy: "increment" },
          { name: "tenant_id", type: "varchar", length: "64" },
          { name: "pod_id", type: "varchar", length: "64" },
          { name: "client_address", type: "varchar", length: "64" },
          { name: "at", type: "bigint" },
        ],
        indices: [
          { name: "pod_gate_attempts_by_client", columnNames: ["tenant_id", "pod_id", "client_address", "at"] },
          { name: "pod_gate_attempts_by_time", columnNames: ["at"] },
        ],
      }),
      true,
    );
    await qr.createTable(
      new Table({
        name: "pod_gate_audit",
        columns: [
          { name: "id", type: "integer", isPrimary: true, isGenerated: true, generationStrategy: "increment" },
          { name: "tenant_id", type: "varchar", length: "64" },
          { name: "pod_id", type: "varchar", length: "64" },
          { name: "at", type: "bigint" },
          { name: "action", type: "varchar", length: "16" },
          { name: "token_id", type: "varchar", length: "36" },
          { name: "label", type: "varchar", length: "100" },
          { name: "actor", type: "varchar", length: "128" },
          { name: "detail", type: text },
        ],
        indices: [{ name: "pod_gate_audit_by_pod", columnNames: ["tenant_id", "pod_id", "id"] }],
      }),
      true,
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    for (const table of ["pod_gate_audit", "pod_gate_attempts", "pod_access_tokens"]) await qr.dropTable(table, true);
  }
}
