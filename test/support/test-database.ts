import { randomBytes } from "node:crypto";
import mysql from "mysql2/promise";

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
