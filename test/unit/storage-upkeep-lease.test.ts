import assert from "node:assert/strict";
import type { StorageFiles } from "../../control-plane/files/storage-files.js";
import { StorageUpkeep } from "../../control-plane/files/storage-upkeep.js";
import type { StorageWork } from "../../control-plane/files/storage-work.js";
import type { Database } from "../../control-plane/storage/database.js";
import { createJsonLogger } from "../../shared/logging/logger.js";
import { openTestDatabase, type OpenedTestDatabase } from "../support/test-database.js";

/**
 * Snapshot schedules and the rest of the storage upkeep run once across
 * replicas: each pass first takes a lease in the database, and only its
 * holder runs. Two replicas share one database here (SQLite, or MariaDB
 * with PODS_TEST_MYSQL_URL) on a clock the test moves; what a pass does is
 * counted instead of done (the whole pass runs for real in
 * snapshot-schedules.test.ts).
 */
describe("the storage upkeep runs on one replica at a time", () => {
  let db: Database;
  let opened: OpenedTestDatabase;
  let clock = 1_000_000;
  const intervalMs = 1_000;
  const runs: string[] = [];

  before(async () => {
    opened = await openTestDatabase();
    db = opened.db;
  });
  after(() => opened.close());

  function replica(holder: string): StorageUpkeep {
    const work = { sweep: async () => undefined } as unknown as StorageWork;
    return new StorageUpkeep(
      { db, now: () => clock, logger: createJsonLogger({ level: "silent" }), holder, work, files: {} as StorageFiles, jobs: [{ name: "count", run: async () => runs.push(holder) }] },
      { intervalMs, usageMs: Number.MAX_SAFE_INTEGER },
    );
  }
  let a: StorageUpkeep;
  let b: StorageUpkeep;
  before(() => {
    a = replica("replica-a");
    b = replica("replica-b");
  });

  it("letsOnlyTheHolderOfTheLeaseRunAndRenewIt", async () => {
    assert.equal(await a.runOnce(), true);
    assert.equal(await b.runOnce(), false);
    clock += 2 * intervalMs;
    assert.equal(await b.runOnce(), false, "the lease lasts three intervals");
    assert.equal(await a.runOnce(), true, "its holder renews it");
    assert.equal(await b.runOnce(), false);
    assert.deepEqual(runs, ["replica-a", "replica-a"]);
  });

  it("handsTheLeaseToAnotherReplicaOnceItsHolderStopsRenewing", async () => {
    clock += 3 * intervalMs + 1;
    assert.equal(await b.runOnce(), true);
    assert.equal(await a.runOnce(), false);
    assert.deepEqual(runs.slice(-1), ["replica-b"]);
  });

  it("givesTheLeaseUpOnStopSoAnotherTakesItAtOnce", async () => {
    await b.stop();
    assert.equal(await a.runOnce(), true);
    assert.deepEqual(runs.slice(-1), ["replica-a"]);
  });
});
