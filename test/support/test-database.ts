import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mysql from "mysql2/promise";
import { parseEncryptionKeys, type EncryptionKey } from "../../control-plane/crypto/encryption-keys.js";
import { FieldCipher } from "../../control-plane/crypto/field-cipher.js";
import { Database } from "../../control-plane/storage/database.js";
import { createJsonLogger } from "../../shared/logging/logger.js";

/**
 * The encryption key of every test run on MySQL/MariaDB, where one must be
 * configured (and shared by all replicas): PODS_ENCRYPTION_KEY's format.
 */
export const testEncryptionKey = `test1:${randomBytes(32).toString("base64")}`;

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * A throwaway database on the MySQL/MariaDB server `serverUrl` points at
 * (its path names any database the user may connect to).
 */
export async function createTestDatabase(serverUrl: string): Promise<TestDatabase> {
  const name = `pods_test_${randomBytes(6).toString("hex")}`;
  const admin = await mysql.createConnection(serverUrl);
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const connection = await mysql.createConnection(serverUrl);
      try {
        await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await connection.end();
      }
    },
  };
}

export interface OpenedTestDatabase {
  db: Database;
  /** Closes the database and removes it (the SQLite folder, or the MariaDB database). */
  close(): Promise<void>;
}

/**
 * The control plane's database for a test of storage code: on a throwaway
 * MariaDB database when PODS_TEST_MYSQL_URL names a server (test:infra runs
 * every suite so), else on a fresh SQLite file.
 */
export async function openTestDatabase(): Promise<OpenedTestDatabase> {
  const dir = await mkdtemp(join(tmpdir(), "pods-db-"));
  const server = process.env.PODS_TEST_MYSQL_URL ? await createTestDatabase(process.env.PODS_TEST_MYSQL_URL) : undefined;
  const location = server ? { kind: "mysql" as const, url: server.url } : { kind: "sqlite" as const, url: join(dir, "pods.db") };
  const keys = parseEncryptionKeys(testEncryptionKey) as EncryptionKey[];
  const db = await Database.open(location, { lockMs: 5_000, statementMs: 5_000 }, createJsonLogger({ level: "silent" }), new FieldCipher(keys));
  return {
    db,
    async close() {
      await db.close();
      await server?.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
