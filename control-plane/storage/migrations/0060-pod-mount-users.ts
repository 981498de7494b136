import { TableColumn, type MigrationInterface, type QueryRunner } from "typeorm";

/**
 * Who mounted each volume and snapshot of a pod ({"<mount path>": "<username>"}),
 * whose permissions the mount needs at every start. Older pods have none: their
 * mounts count as their owner's.
 */
export class PodMountUsers1770000000000 implements MigrationInterface {
  name = "PodMountUsers1770000000000";

  async up(qr: QueryRunner): Promise<void> {
    const text = qr.connection.options.type === "better-sqlite3" ? "text" : "longtext";
    await qr.addColumn("pods", new TableColumn({ name: "mount_users", type: text, isNullable: true }));
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropColumn("pods", "mount_users");
  }
}
