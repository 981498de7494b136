import { readFile } from "node:fs/promises";
import mysql from "mysql2/promise";

/** Something the service stored, as bytes, and where it was found. */
export interface StoredBytes {
  where: string;
  bytes: Buffer;
}

/**
 * Everything an SQLite database holds, read raw from its files (the database,
 * its write-ahead log and shared-memory index, when present), so nothing is
 * missed that a query would not show: old row versions, freed pages.
 */
export async function sqliteFiles(databaseFile: string): Promise<StoredBytes[]> {
  const found: StoredBytes[] = [];
  for (const file of [databaseFile, `${databaseFile}-wal`, `${databaseFile}-shm`]) {
    try {
      found.push({ where: `file ${file}`, bytes: await readFile(file) });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return found;
}

/** Every column of every row of every table of a MySQL/MariaDB database. */
export async function mysqlRows(databaseUrl: string): Promise<StoredBytes[]> {
  const connection = await mysql.createConnection(databaseUrl);
  try {
    const [tables] = await connection.query<mysql.RowDataPacket[]>("SHOW TABLES");
    const found: StoredBytes[] = [];
    for (const table of tables.map((row) => String(Object.values(row)[0]))) {
      const [rows] = await connection.query<mysql.RowDataPacket[]>(`SELECT * FROM \`${table}\``);
      rows.forEach((row, index) => {
        const cells = Object.entries(row).map(([column, value]) => Buffer.concat([Buffer.from(`${column}=`), Buffer.isBuffer(value) ? value : Buffer.from(String(value)), Buffer.from("\n")]));
        found.push({ where: `table ${table} row ${index}`, bytes: Buffer.concat(cells) });
      });
    }
    return found;
  } finally {
    await connection.end();
  }
}
