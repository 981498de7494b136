import { TableIndex, type MigrationInterface, type QueryRunner } from "typeorm";

/** Failed gate redemptions counted per client address across every pod. */
export class GateAttemptsByAddress1770800000000 implements MigrationInterface {
  name = "GateAttemptsByAddress1770800000000";

  async up(qr: QueryRunner): Promise<void> {
    await qr.createIndex("pod_gate_attempts", new TableIndex({ name: "pod_gate_attempts_by_address", columnNames: ["client_address", "at"] }));
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropIndex("pod_gate_attempts", "pod_gate_attempts_by_address");
  }
}
