import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DataSource } from "typeorm";
import { parseEncryptionKeys } from "../../control-plane/crypto/encryption-keys.js";
import { FieldCipher, isEncryptedValue } from "../../control-plane/crypto/field-cipher.js";
import { rewriteStoredCredentials } from "../../control-plane/storage/credential-encryption.js";
import { Database, type DatabaseLocation } from "../../control-plane/storage/database.js";
import { allMigrations } from "../../control-plane/storage/migrations/all-migrations.js";
import { PodCredentialsRepository } from "../../control-plane/storage/pod-credentials-repository.js";
import { createJsonLogger } from "../../shared/logging/logger.js";
import { sqliteFiles } from "../support/stored-bytes.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

const logger = createJsonLogger({ level: "silent" });

function cipherOf(text: string): FieldCipher {
  const keys = parseEncryptionKeys(text);
  if ("error" in keys) throw new Error(keys.error);
  return new FieldCipher(keys);
}

/** A DataSource of the schema as it was before encryption: migrations 1-3 only. */
function olderSchema(location: DatabaseLocation, cipher: FieldCipher): DataSource {
  const migrations = allMigrations(cipher).slice(0, 3);
  const common = { migrations, migrationsTableName: "schema_migrations", logging: false as const };
  return location.kind === "sqlite"
    ? new DataSource({ ...common, type: "better-sqlite3", database: location.url })
    : new DataSource({ ...common, type: "mariadb", url: location.url });
}

/**
 * Upgrading an installation whose pod passwords are in plaintext: the
 * migration encrypts them, they read back unchanged, and a later rotation
 * rewrites them under the new key. On MariaDB too when PODS_TEST_MYSQL_URL is set.
 */
describe("encrypting stored credentials on upgrade and rotation", function () {
  this.timeout(60_000);
  const k1 = `k1:${randomBytes(32).toString("base64")}`;
  const k2 = `k2:${randomBytes(32).toString("base64")}`;
  const plaintext = { user: "OldUserPasswordInPlaintext", service: "OldServicePasswordInPlaintext" };
  let dir: string;
  let mysql: TestDatabase | undefined;
  let location: DatabaseLocation;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "pods-migration-"));
    if (process.env.PODS_TEST_MYSQL_URL) mysql = await createTestDatabase(process.env.PODS_TEST_MYSQL_URL);
    location = mysql ? { kind: "mysql", url: mysql.url } : { kind: "sqlite", url: join(dir, "pods.db") };
  });
  after(async () => {
    await mysql?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const storedRow = async (db: Database) =>
    (await db.read((m) => m.query("SELECT user_password, service_password FROM pod_credentials WHERE pod_id = 'oldpod'")))[0] as {
      user_password: string;
      service_password: string;
    };

  it("encryptsPlaintextPasswordsThenRewritesThemUnderARotatedKey", async () => {
    const older = olderSchema(location, cipherOf(k1));
    await older.initialize();
    await older.runMigrations({ transaction: "each" });
    await older.query(
      "INSERT INTO pod_credentials (tenant_id, pod_id, user_username, user_password, service_username, service_password) VALUES (?, ?, ?, ?, ?, ?)",
      ["dev", "oldpod", "oldpod", plaintext.user, "podsservice", plaintext.service],
    );
    await older.destroy();

    const upgraded = await Database.open(location, { lockMs: 10_000, statementMs: 30_000 }, logger, cipherOf(k1));
    try {
      const runner = upgraded.dataSource.createQueryRunner();
      const table = await runner.getTable("pod_credentials").finally(() => runner.release());
      assert.deepEqual(["user_password", "service_password"].map((name) => table?.findColumnByName(name)?.length), ["512", "512"]);
      const row = await storedRow(upgraded);
      assert.ok(row.user_password.startsWith("enc:v1:k1:") && row.service_password.startsWith("enc:v1:k1:"), JSON.stringify(row));
      const found = await upgraded.read((m) => new PodCredentialsRepository(cipherOf(k1)).find(m, "dev", "oldpod"));
      assert.equal(found?.userPassword, plaintext.user);
      assert.equal(found?.servicePassword, plaintext.service);
    } finally {
      await upgraded.close();
    }
    if (location.kind === "sqlite") {
      const holders = (await sqliteFiles(location.url)).filter((file) => file.bytes.includes(plaintext.user) || file.bytes.includes(plaintext.service));
      assert.deepEqual(holders.map((file) => file.where), []);
    }

    const rotated = cipherOf(`${k2},${k1}`);
    const reopened = await Database.open(location, { lockMs: 10_000, statementMs: 30_000 }, logger, rotated);
    try {
      await rewriteStoredCredentials(reopened, rotated, logger);
      const row = await storedRow(reopened);
      assert.ok(row.user_password.startsWith("enc:v1:k2:") && row.service_password.startsWith("enc:v1:k2:"), JSON.stringify(row));
      // The old key is no longer needed.
      const found = await reopened.read((m) => new PodCredentialsRepository(cipherOf(k2)).find(m, "dev", "oldpod"));
      assert.equal(found?.userPassword, plaintext.user);
    } finally {
      await reopened.close();
    }
  });

  it("decryptsThemAgainWhenTheMigrationIsUndone", async () => {
    const cipher = cipherOf(k2);
    const db = await Database.open(location, { lockMs: 10_000, statementMs: 30_000 }, logger, cipher);
    try {
      // Undo the migrations after it, then it.
      while (await applied(db, "EncryptCredentials")) await db.dataSource.undoLastMigration({ transaction: "each" });
      const row = await storedRow(db);
      assert.deepEqual(row, { user_password: plaintext.user, service_password: plaintext.service });
      await db.dataSource.runMigrations({ transaction: "each" });
      assert.ok(isEncryptedValue((await storedRow(db)).user_password));
    } finally {
      await db.close();
    }
  });
});

/** Whether a migration whose name starts with `prefix` is applied. */
async function applied(db: Database, prefix: string): Promise<boolean> {
  const rows = (await db.dataSource.query("SELECT name FROM schema_migrations")) as { name: string }[];
  return rows.some((row) => row.name.startsWith(prefix));
}
