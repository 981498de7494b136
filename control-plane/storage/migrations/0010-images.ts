import { Table, type MigrationInterface, type QueryRunner } from "typeorm";

/** The image allowlist entries service administrators add (the configured ones are not stored). */
export class Images1765000000000 implements MigrationInterface {
  name = "Images1765000000000";

  async up(qr: QueryRunner): Promise<void> {
    const text = qr.connection.options.type === "better-sqlite3" ? "text" : "longtext";
    await qr.createTable(
      new Table({
        name: "images",
        columns: [
          { name: "image_key", type: "varchar", length: "255", isPrimary: true },
          { name: "image", type: "varchar", length: "255" },
          { name: "tenants", type: text },
          { name: "description", type: "varchar", length: "2048" },
          { name: "added_by", type: "varchar", length: "128" },
          { name: "creation_ts", type: "bigint" },
        ],
      }),
      true,
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable("images", true);
  }
}
