import { Table, type MigrationInterface, type QueryRunner } from "typeorm";

/** Users' secrets and the values generated for pods' secret maps, both encrypted. */
export class Secrets1765000100000 implements MigrationInterface {
  name = "Secrets1765000100000";

  async up(qr: QueryRunner): Promise<void> {
    const text = qr.connection.options.type === "better-sqlite3" ? "text" : "longtext";
    await qr.createTable(
      new Table({
        name: "secrets",
        columns: [
          { name: "tenant_id", type: "varchar", length: "64", isPrimary: true },
          { name: "secret_id", type: "varchar", length: "100", isPrimary: true },
          { name: "scope", type: "varchar", length: "8" },
          { name: "pod_id", type: "varchar", length: "64", isNullable: true },
          { name: "description", type: "varchar", length: "2048" },
          { name: "readable", type: "int" },
          { name: "writable", type: "int" },
          { name: "sk_secret_name", type: "varchar", length: "320" },
          { name: "secret_value", type: text },
          { name: "added_by", type: "varchar", length: "128" },
          { name: "creation_ts", type: "bigint" },
          { name: "update_ts", type: "bigint" },
        ],
      }),
      true,
    );
    await qr.createTable(
      new Table({
        name: "pod_secret_values",
        columns: [
          { name: "tenant_id", type: "varchar", length: "64", isPrimary: true },
          { name: "pod_id", type: "varchar", length: "64", isPrimary: true },
          { name: "secret_key", type: "varchar", length: "128", isPrimary: true },
          { name: "secret_value", type: text },
        ],
      }),
      true,
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable("pod_secret_values", true);
    await qr.dropTable("secrets", true);
  }
}
