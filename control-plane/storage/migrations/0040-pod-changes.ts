import { Table, type MigrationInterface, type QueryRunner } from "typeorm";

/** Every change of a pod's row, numbered: the revisions that watches stream and resume from. */
export class PodChanges1768000000000 implements MigrationInterface {
  name = "PodChanges1768000000000";

  async up(qr: QueryRunner): Promise<void> {
    await qr.createTable(
      new Table({
        name: "pod_changes",
        columns: [
          { name: "revision", type: "integer", isPrimary: true, isGenerated: true, generationStrategy: "increment" },
          { name: "tenant_id", type: "varchar", length: "64" },
          { name: "pod_id", type: "varchar", length: "64" },
          { name: "deleted", type: "boolean" },
          { name: "at", type: "bigint" },
        ],
        indices: [{ name: "pod_changes_by_time", columnNames: ["at"] }],
      }),
      true,
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable("pod_changes", true);
  }
}
