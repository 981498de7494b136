import type { Logger } from "../../shared/logging/logger.js";
import { isEncryptedValue, type FieldCipher, type FieldPlace } from "../crypto/field-cipher.js";
import type { Database } from "./database.js";

/** The columns of pod_credentials that hold secrets, encrypted. */
export const encryptedCredentialColumns = ["user_password", "service_password"] as const;
export type EncryptedCredentialColumn = (typeof encryptedCredentialColumns)[number];

/** The place a pod's credential is bound to; changing it would make every stored value unreadable. */
export function credentialPlace(column: EncryptedCredentialColumn, tenantId: string, podId: string): FieldPlace {
  return { table: "pod_credentials", column, row: [tenantId, podId] };
}

/** Runs one SQL statement with `?` parameters (the same on SQLite and MySQL). */
export type SqlRunner = (sql: string, parameters?: unknown[]) => Promise<unknown>;

export interface CredentialRewrite {
  /** Values now under the current key: found in plaintext or under an older key. */
  rewritten: number;
  /** Values no configured key decrypts, as "tenant/pod column (reason)": left as they are. */
  unreadable: string[];
}

/**
 * Rewrites every stored credential that is not under the current key: values
 * in plaintext (written before encryption, or by a replica of an older
 * version during a rolling upgrade) and values under an older key (after a
 * rotation). Each update is conditional on the value read, so replicas doing
 * this at once cannot overwrite each other's work. Plain SQL on purpose: the
 * migration that introduced encryption runs this too.
 */
export async function rewriteCredentialsUnderCurrentKey(run: SqlRunner, cipher: FieldCipher): Promise<CredentialRewrite> {
  const current = `enc:v1:${cipher.currentKeyId}:`;
  const stale = encryptedCredentialColumns.map((column) => `SUBSTR(${column}, 1, ${current.length}) <> ?`).join(" OR ");
  const rows = (await run(
    `SELECT tenant_id, pod_id, ${encryptedCredentialColumns.join(", ")} FROM pod_credentials WHERE ${stale}`,
    encryptedCredentialColumns.map(() => current),
  )) as Record<string, string>[];
  const outcome: CredentialRewrite = { rewritten: 0, unreadable: [] };
  for (const row of rows) {
    const tenantId = row.tenant_id!;
    const podId = row.pod_id!;
    for (const column of encryptedCredentialColumns) {
      const stored = row[column]!;
      if (stored.startsWith(current)) continue;
      const place = credentialPlace(column, tenantId, podId);
      let plaintext: string;
      try {
        plaintext = isEncryptedValue(stored) ? cipher.decrypt(stored, place) : stored;
      } catch (error) {
        outcome.unreadable.push(`${tenantId}/${podId} ${column} (${error instanceof Error ? error.message : String(error)})`);
        continue;
      }
      await run(`UPDATE pod_credentials SET ${column} = ? WHERE tenant_id = ? AND pod_id = ? AND ${column} = ?`, [
        cipher.encrypt(plaintext, place),
        tenantId,
        podId,
        stored,
      ]);
      outcome.rewritten++;
    }
  }
  return outcome;
}

/**
 * At start: rewrites stored credentials under the current key (see
 * rewriteCredentialsUnderCurrentKey), then compacts an SQLite file so the
 * values it replaced are gone from it. Values no key decrypts are reported,
 * not fatal: only their pods suffer until the missing key is configured.
 */
export async function rewriteStoredCredentials(db: Database, cipher: FieldCipher, logger: Logger): Promise<void> {
  const outcome = await db.transaction((tx) => rewriteCredentialsUnderCurrentKey((sql, parameters) => tx.query(sql, parameters), cipher));
  if (outcome.rewritten > 0) {
    logger.info("stored pod credentials rewritten under the current encryption key", { values: outcome.rewritten, keyId: cipher.currentKeyId });
    await db.compact();
  }
  if (outcome.unreadable.length > 0) {
    logger.warn("stored pod credentials that no configured encryption key decrypts; configure the key that wrote them", {
      values: outcome.unreadable.length,
      first: outcome.unreadable.slice(0, 10),
    });
  }
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
