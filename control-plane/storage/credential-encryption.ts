import type { Logger } from "../../shared/logging/logger.js";
import { isEncryptedValue, type FieldCipher, type FieldPlace } from "../crypto/field-cipher.js";
import type { Database } from "./database.js";
import { placeOf, rewriteStoredValues, rewriteUnderCurrentKey, type EncryptedTable, type RewriteOutcome, type SqlRunner } from "./encrypted-columns.js";
import { podSecretValuesTable, secretValuesTable } from "./secret-encryption.js";

export type { SqlRunner };
export type CredentialRewrite = RewriteOutcome;

/** The columns of pod_credentials that hold secrets, encrypted. */
export const encryptedCredentialColumns = ["user_password", "service_password"] as const;
export type EncryptedCredentialColumn = (typeof encryptedCredentialColumns)[number];

const credentialsTable: EncryptedTable = { table: "pod_credentials", keyColumns: ["tenant_id", "pod_id"], columns: encryptedCredentialColumns };

/** The place a pod's credential is bound to; changing it would make every stored value unreadable. */
export function credentialPlace(column: EncryptedCredentialColumn, tenantId: string, podId: string): FieldPlace {
  return placeOf(credentialsTable, column, [tenantId, podId]);
}

/** Rewrites every stored credential that is not under the current key (see rewriteUnderCurrentKey). */
export async function rewriteCredentialsUnderCurrentKey(run: SqlRunner, cipher: FieldCipher): Promise<CredentialRewrite> {
  return rewriteUnderCurrentKey(run, cipher, credentialsTable);
}

/**
 * At start: rewrites stored credentials, secret values and pods' generated
 * secret values under the current key, then compacts an SQLite file (see
 * rewriteStoredValues).
 */
export async function rewriteStoredCredentials(db: Database, cipher: FieldCipher, logger: Logger): Promise<void> {
  await rewriteStoredValues(db, cipher, logger, [credentialsTable, secretValuesTable, podSecretValuesTable]);
}

/** Turns every stored credential back into plaintext (the encryption migration's way down). */
export async function decryptAllCredentials(run: SqlRunner, cipher: FieldCipher): Promise<void> {
  const rows = (await run(`SELECT tenant_id, pod_id, ${encryptedCredentialColumns.join(", ")} FROM pod_credentials`)) as Record<string, string>[];
  for (const row of rows) {
    for (const column of encryptedCredentialColumns) {
      const stored = row[column]!;
      if (!isEncryptedValue(stored)) continue;
      const plaintext = cipher.decrypt(stored, credentialPlace(column, row.tenant_id!, row.pod_id!));
      await run(`UPDATE pod_credentials SET ${column} = ? WHERE tenant_id = ? AND pod_id = ?`, [plaintext, row.tenant_id, row.pod_id]);
    }
  }
}
