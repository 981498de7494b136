import mysql2, { type Pool, type PoolOptions } from "mysql2";
import { DataSource, type EntityManager } from "typeorm";
import { makeFilePrivate } from "../../shared/files/private-files.js";
import type { Logger } from "../../shared/logging/logger.js";
import type { FieldCipher } from "../crypto/field-cipher.js";
import { UnavailableError } from "../errors/domain-errors.js";
import { ReservedConnection } from "./reserved-connection.js";
import { allEntities } from "./entities/all-entities.js";
import { allMigrations } from "./migrations/all-migrations.js";
import { bindNumbersAsParameters } from "./sqlite-bound-numbers.js";
import { translateTransientErrors } from "./transient-errors.js";

export type DatabaseKind = "sqlite" | "mysql";

/**
 * Where the state lives: `sqlite:<file>` (embedded default) or
 * `mysql://user:password@host:port/database` (MySQL or MariaDB).
 */
export interface DatabaseLocation {
  kind: DatabaseKind;
  url: string;
}

/** How long database work may wait, in milliseconds. */
export interface DatabaseTimeouts {
  /** For a lock another transaction holds (a row on MySQL, the file on SQLite). */
  lockMs: number;
  /** For one statement to run (MySQL and MariaDB). */
  statementMs: number;
}

/** Parses PODS_DATABASE_URL; returns a rule on failure. */
export function parseDatabaseUrl(url: string): DatabaseLocation | { error: string } {
  if (url.startsWith("sqlite:")) {
    const file = url.slice("sqlite:".length);
    return file ? { kind: "sqlite", url: file } : { error: "sqlite: needs a file path, e.g. sqlite:data/pods.db" };
  }
  if (url.startsWith("mysql://") || url.startsWith("mariadb://")) {
    try {
      const parsed = new URL(url.replace(/^mariadb:/, "mysql:"));
      if (!parsed.pathname || parsed.pathname === "/") return { error: "must name a database, e.g. mysql://user:pw@host:3306/pods" };
      return { kind: "mysql", url: parsed.toString() };
    } catch {
      return { error: "is not a valid URL" };
    }
  }
  return { error: "must start with sqlite: or mysql://" };
}

/**
 * The control plane's database. On SQLite every unit of work is serialised:
 * the driver has one connection, so overlapping transactions would interleave
 * (and reads could see another transaction's uncommitted rows).
 */
export class Database {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dataSource: DataSource,
    readonly kind: DatabaseKind,
  ) {}

  /**
   * Opens the database and applies pending migrations; `cipher` encrypts
   * what they move into encrypted columns. An SQLite file is created private
   * to this user (its journal files take the same mode). On MySQL at most
   * `connections` are open at once (SQLite has one).
   */
  static async open(location: DatabaseLocation, timeouts: DatabaseTimeouts, logger: Logger, cipher: FieldCipher, connections = 20): Promise<Database> {
    if (location.kind === "sqlite" && location.url !== ":memory:") {
      for (const file of [location.url, `${location.url}-wal`, `${location.url}-shm`]) await makeFilePrivate(file, file === location.url);
    }
    const dataSource = new DataSource(dataSourceOptions(location, timeouts, logger, cipher, connections));
    try {
      await dataSource.initialize();
    } catch (error) {
      throw new UnavailableError(`database unreachable: ${error instanceof Error ? error.message : String(error)}`);
    }
    const applied = await dataSource.runMigrations({ transaction: "each" });
    if (location.kind === "sqlite") bindNumbersAsParameters(dataSource);
    const db = new Database(dataSource, location.kind);
    if (applied.length > 0) {
      logger.info("database migrated", { migrations: applied.map((m) => m.name) });
      // A migration may have rewritten rows (encrypted them); the old versions must not linger in the file.
      await db.compact();
    }
    return db;
  }

  /** Runs `work` in one transaction; everything it writes commits or nothing does. */
  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.serialised(() => this.dataSource.transaction(work));
  }

  /**
   * MySQL: a connection of the pool kept for one worker (the outbox relay),
   * so that its transactions never queue behind requests waiting for one.
   * None on SQLite, whose one connection everything shares.
   */
  reserveConnection(): ReservedConnection | undefined {
    return this.kind === "mysql" ? new ReservedConnection(this.dataSource) : undefined;
  }

  /** Runs reads that need no transaction. */
  read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.serialised(() => work(this.dataSource.manager));
  }

  /**
   * SQLite only: rewrites the file and empties its write-ahead log, so no
   * deleted or overwritten row (a password before it was encrypted) is left
   * in free pages. Nothing to do on MySQL, which keeps no file here.
   */
  async compact(): Promise<void> {
    if (this.kind !== "sqlite") return;
    await this.serialised(async () => {
      await this.dataSource.query("VACUUM");
      await this.dataSource.query("PRAGMA wal_checkpoint(TRUNCATE)");
    });
  }

  async ping(): Promise<void> {
    await this.read((m) => m.query("SELECT 1"));
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    if (this.kind !== "sqlite") return translateTransientErrors(work);
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return translateTransientErrors(() => run);
  }
}

function dataSourceOptions(location: DatabaseLocation, timeouts: DatabaseTimeouts, logger: Logger, cipher: FieldCipher, connections: number) {
  const common = { entities: allEntities, migrations: allMigrations(cipher), migrationsTableName: "schema_migrations", logging: false as const };
  if (location.kind === "sqlite") {
    return {
      ...common,
      type: "better-sqlite3" as const,
      database: location.url,
      enableWAL: true,
      timeout: timeouts.lockMs,
      // With WAL, NORMAL loses no committed transaction when the process dies;
      // only an operating-system crash can lose the last few. It spares an
      // fsync per commit.
      prepareDatabase: (db: { pragma(source: string): unknown }) => void db.pragma("synchronous = NORMAL"),
    };
  }
  return {
    ...common,
    type: "mariadb" as const,
    url: location.url,
    timezone: "Z",
    charset: "utf8mb4",
    // trace: false spares capturing a stack for every query; typeorm's QueryFailedError carries the caller's.
    extra: { connectionLimit: connections, connectTimeout: 10_000, trace: false },
    driver: mysqlWithSessionLimits(timeouts, logger),
  };
}

/**
 * mysql2 whose pools bound every new connection's session: lock waits and
 * statements end with an error past the deadlines instead of holding a
 * request (MariaDB's max_statement_time; MySQL's max_execution_time, which
 * only bounds SELECTs).
 */
function mysqlWithSessionLimits(timeouts: DatabaseTimeouts, logger: Logger): typeof mysql2 {
  const lockSeconds = Math.max(1, Math.ceil(timeouts.lockMs / 1000));
  return {
    ...mysql2,
    createPool(options: PoolOptions | string): Pool {
      const pool = typeof options === "string" ? mysql2.createPool(options) : mysql2.createPool(options);
      pool.on("connection", (connection) => {
        // typeorm asks every query for connection.promise(), which builds a new wrapper (and resolves a require) each time.
        const promised = connection.promise();
        connection.promise = () => promised;
        connection.query(`SET SESSION innodb_lock_wait_timeout = ${lockSeconds}`);
        connection.query(`SET SESSION max_statement_time = ${timeouts.statementMs / 1000}`, (error) => {
          if (!error) return;
          connection.query(`SET SESSION max_execution_time = ${timeouts.statementMs}`, (fallbackError) => {
            if (fallbackError) logger.warn("could not bound statement time on this database", { error: fallbackError.message });
          });
        });
      });
      return pool;
    },
  };
}
