import type { MigrationInterface, QueryRunner } from "typeorm";
import type { FieldCipher } from "../../crypto/field-cipher.js";
import { decryptAllCredentials, encryptedCredentialColumns, rewriteCredentialsUnderCurrentKey } from "../credential-encryption.js";

/**
 * Pod passwords encrypted at rest: the columns widen to hold the encrypted
 * form and every stored password is encrypted with the current key.
 */
export function encryptCredentialsMigration(cipher: FieldCipher): new () => MigrationInterface {
  return class EncryptCredentials1764288000000 implements MigrationInterface {
    name = "EncryptCredentials1764288000000";

    async up(qr: QueryRunner): Promise<void> {
      await resize(qr, 512);
      await rewriteCredentialsUnderCurrentKey((sql, parameters) => qr.query(sql, parameters), cipher);
    }

    async down(qr: QueryRunner): Promise<void> {
      await decryptAllCredentials((sql, parameters) => qr.query(sql, parameters), cipher);
      await resize(qr, 128);
    }
  };
}

/**
 * On MySQL, ALTER ... MODIFY keeps the values (typeorm's changeColumn drops
 * and re-adds a column whose length changes). SQLite does not enforce the
 * length; typeorm rewrites its table with the values kept.
 */
async function resize(qr: QueryRunner, length: number): Promise<void> {
  if (qr.connection.options.type !== "better-sqlite3") {
    for (const column of encryptedCredentialColumns) await qr.query(`ALTER TABLE pod_credentials MODIFY ${column} varchar(${length}) NOT NULL`);
    return;
  }
  const table = await qr.getTable("pod_credentials");
  await qr.changeColumns(
    "pod_credentials",
    encryptedCredentialColumns.map((name) => {
      const oldColumn = table!.findColumnByName(name)!;
      const newColumn = oldColumn.clone();
      newColumn.length = String(length);
      return { oldColumn, newColumn };
    }),
  );
}
