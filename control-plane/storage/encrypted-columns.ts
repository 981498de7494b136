import type { Logger } from "../../shared/logging/logger.js";
import { isEncryptedValue, type FieldCipher, type FieldPlace } from "../crypto/field-cipher.js";
import type { Database } from "./database.js";

/** Runs one SQL statement with `?` parameters (the same on SQLite and MySQL). */
export type SqlRunner = (sql: string, parameters?: unknown[]) => Promise<unknown>;

/** A table whose `columns` hold values encrypted with FieldCipher, each bound to its row's `keyColumns`. */
export interface EncryptedTable {
  table: string;
  keyColumns: readonly string[];
  columns: readonly string[];
}

/** The place a value is bound to: changing it would make every stored value unreadable. */
export function placeOf(spec: EncryptedTable, column: string, key: readonly string[]): FieldPlace {
  return { table: spec.table, column, row: key };
}

export interface RewriteOutcome {
  /** Values now under the current key: found in plaintext or under an older key. */
  rewritten: number;
  /** Values no configured key decrypts, as "<key> <column> (reason)": left as they are. */
  unreadable: string[];
}

/**
 * Rewrites every value of `spec` that is not under the current key: values
 * in plaintext (written before encryption, or by a replica of an older
 * version during a rolling upgrade) and values under an older key (after a
 * rotation). Each update is conditional on the value read, so replicas doing
 * this at once cannot overwrite each other's work. Plain SQL on purpose:
 * migrations run this too.
 */
export async function rewriteUnderCurrentKey(run: SqlRunner, cipher: FieldCipher, spec: EncryptedTable): Promise<RewriteOutcome> {
  const current = `enc:v1:${cipher.currentKeyId}:`;
  const stale = spec.columns.map((column) => `SUBSTR(${column}, 1, ${current.length}) <> ?`).join(" OR ");
  const rows = (await run(`SELECT ${[...spec.keyColumns, ...spec.columns].join(", ")} FROM ${spec.table} WHERE ${stale}`, spec.columns.map(() => current))) as Record<string, string>[];
  const outcome: RewriteOutcome = { rewritten: 0, unreadable: [] };
  for (const row of rows) {
    const key = spec.keyColumns.map((column) => row[column]!);
    for (const column of spec.columns) {
      const stored = row[column]!;
      if (stored.startsWith(current)) continue;
      const place = placeOf(spec, column, key);
      let plaintext: string;
      try {
        plaintext = isEncryptedValue(stored) ? cipher.decrypt(stored, place) : stored;
      } catch (error) {
        outcome.unreadable.push(`${key.join("/")} ${column} (${error instanceof Error ? error.message : String(error)})`);
        continue;
      }
      const where = spec.keyColumns.map((keyColumn) => `${keyColumn} = ?`).join(" AND ");
      await run(`UPDATE ${spec.table} SET ${column} = ? WHERE ${where} AND ${column} = ?`, [cipher.encrypt(plaintext, place), ...key, stored]);
      outcome.rewritten++;
    }
  }
  return outcome;
}

/**
 * At start: rewrites the values of every table under the current key (see
 * rewriteUnderCurrentKey), then compacts an SQLite file so the values it
 * replaced are gone from it. Values no key decrypts are reported, not fatal:
 * only their objects suffer until the missing key is configured.
 */
export async function rewriteStoredValues(db: Database, cipher: FieldCipher, logger: Logger, tables: readonly EncryptedTable[]): Promise<void> {
  let rewritten = 0;
  for (const spec of tables) {
    const outcome = await db.transaction((tx) => rewriteUnderCurrentKey((sql, parameters) => tx.query(sql, parameters), cipher, spec));
    rewritten += outcome.rewritten;
    if (outcome.rewritten > 0) logger.info(`stored ${spec.table} values rewritten under the current encryption key`, { values: outcome.rewritten, keyId: cipher.currentKeyId });
    if (outcome.unreadable.length > 0) {
      logger.warn(`stored ${spec.table} values that no configured encryption key decrypts; configure the key that wrote them`, {
        values: outcome.unreadable.length,
        first: outcome.unreadable.slice(0, 10),
      });
    }
  }
  if (rewritten > 0) await db.compact();
}
