import { TableColumn, type MigrationInterface, type QueryRunner } from "typeorm";

/** The PersistentVolumeClaims each cluster grants to tenants' pods (none until an operator grants one). */
export class ClusterClaims1764374400000 implements MigrationInterface {
  name = "ClusterClaims1764374400000";

  async up(qr: QueryRunner): Promise<void> {
    const text = qr.connection.options.type === "better-sqlite3" ? "text" : "longtext";
    await qr.addColumn("clusters", new TableColumn({ name: "claims", type: text, isNullable: true }));
    await qr.query(`UPDATE clusters SET claims = '[]'`);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropColumn("clusters", "claims");
  }
}
