import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LessThan, MoreThanOrEqual } from "typeorm";
import { parseEncryptionKeys, type EncryptionKey } from "../../control-plane/crypto/encryption-keys.js";
import { FieldCipher } from "../../control-plane/crypto/field-cipher.js";
import { Database } from "../../control-plane/storage/database.js";
import { PodChangeEntity } from "../../control-plane/storage/entities/pod-change-entity.js";
import { createJsonLogger } from "../../shared/logging/logger.js";
import { testEncryptionKey } from "../support/test-database.js";

/**
 * On SQLite, typeorm writes numbers into the SQL text, so every write with a
 * new timestamp is a new statement, compiled anew and pushed through a
 * statement cache that then evicts the hot reads. Numbers are bound as
 * parameters instead: the same statement serves every value, and the values
 * stored, read back and compared are the same as before.
 */
describe("SQLite statements bind numbers instead of writing them into the SQL", () => {
  let db: Database;
  let dir: string;
  let compiled: string[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "pods-bound-numbers-"));
    const keys = parseEncryptionKeys(testEncryptionKey) as EncryptionKey[];
    db = await Database.open({ kind: "sqlite", url: join(dir, "pods.db") }, { lockMs: 5_000, statementMs: 5_000 }, createJsonLogger({ level: "silent" }), new FieldCipher(keys));
    const connection = (db.dataSource.driver as unknown as { databaseConnection: { prepare(sql: string): unknown } }).databaseConnection;
    const prepare = connection.prepare.bind(connection);
    compiled = [];
    connection.prepare = (sql: string) => {
      compiled.push(sql);
      return prepare(sql);
    };
  });
  after(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  const change = (podId: string, at: number, deleted = false) => ({ tenantId: "dev", podId, deleted, at });

  it("compiles an insert, an update and a comparison once, whatever numbers they carry", async () => {
    await db.transaction((tx) => tx.insert(PodChangeEntity, change("a", 1_796_000_000_001)));
    await db.transaction((tx) => tx.update(PodChangeEntity, { podId: "a" }, { at: 1_796_000_000_002 }));
    await db.read((m) => m.find(PodChangeEntity, { where: { at: LessThan(1_796_000_000_003) } }));
    const first = compiled.length;
    await db.transaction((tx) => tx.insert(PodChangeEntity, change("b", 1_796_000_000_111, true)));
    await db.transaction((tx) => tx.update(PodChangeEntity, { podId: "b" }, { at: 1_796_000_000_222 }));
    await db.read((m) => m.find(PodChangeEntity, { where: { at: LessThan(1_796_000_000_333) } }));
    // Only statements of pod_changes count: typeorm's cache is first in, first out, so BEGIN may have left it.
    assert.deepEqual(compiled.slice(first).filter((sql) => sql.includes("pod_changes")), [], "the second round compiled statements of its own");
  });

  it("stores, reads back and compares the same values as before", async () => {
    await db.transaction((tx) => tx.insert(PodChangeEntity, [change("c", 0), change("d", Number.MAX_SAFE_INTEGER), change("e", 1_796_000_000_500, true)]));
    const rows = await db.read((m) => m.find(PodChangeEntity, { where: { at: MoreThanOrEqual(0) }, order: { revision: "ASC" } }));
    assert.deepEqual(
      rows.map((r) => [r.podId, r.at, r.deleted]),
      [
        ["a", 1_796_000_000_002, false],
        ["b", 1_796_000_000_222, true],
        ["c", 0, false],
        ["d", Number.MAX_SAFE_INTEGER, false],
        ["e", 1_796_000_000_500, true],
      ],
    );
    const types = await db.read((m) => m.query(`SELECT typeof("at") AS t FROM "pod_changes" GROUP BY t`));
    assert.deepEqual(types, [{ t: "integer" }]);
    const earlier = await db.read((m) => m.find(PodChangeEntity, { where: { at: LessThan(1_796_000_000_222) }, order: { revision: "ASC" } }));
    assert.deepEqual(earlier.map((r) => r.podId), ["a", "c"]);
  });
});
