import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from "typeorm";

/**
 * The relay no longer marks the rows it publishes: on MySQL it holds them with
 * row locks for the length of one transaction, on SQLite its process is the
 * only one.
 */
export class OutboxWithoutClaims1770900000000 implements MigrationInterface {
  name = "OutboxWithoutClaims1770900000000";

  async up(qr: QueryRunner): Promise<void> {
    await qr.dropIndex("outbox", "outbox_by_claim");
    await qr.dropColumn("outbox", "claimed_by");
    await qr.dropColumn("outbox", "claimed_until");
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.addColumn("outbox", new TableColumn({ name: "claimed_by", type: "varchar", length: "64", isNullable: true }));
    await qr.addColumn("outbox", new TableColumn({ name: "claimed_until", type: "bigint", default: 0 }));
    await qr.createIndex("outbox", new TableIndex({ name: "outbox_by_claim", columnNames: ["claimed_until", "id"] }));
  }
}
