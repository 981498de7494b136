import { TableColumn, type MigrationInterface, type QueryRunner } from "typeorm";

/** The user who created each pod: whose secrets ${secret:name} in its secret_map means. Older pods have none. */
export class PodOwners1765000200000 implements MigrationInterface {
  name = "PodOwners1765000200000";

  async up(qr: QueryRunner): Promise<void> {
    await qr.addColumn("pods", new TableColumn({ name: "owner", type: "varchar", length: "128", isNullable: true }));
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropColumn("pods", "owner");
  }
}
