import assert from "node:assert/strict";
import type { PodRecord } from "../../control-plane/pods/pod-model.js";
import type { Database } from "../../control-plane/storage/database.js";
import { PodChangeEntity } from "../../control-plane/storage/entities/pod-change-entity.js";
import { PodEntity } from "../../control-plane/storage/entities/pod-entity.js";
import { podRepository } from "../../control-plane/storage/pod-repository.js";
import { PreparedInsert } from "../../control-plane/storage/prepared-writes.js";
import { openTestDatabase, type OpenedTestDatabase } from "../support/test-database.js";

/**
 * Pods and their change log are written with fixed INSERT and UPDATE
 * statements; what is read back is what typeorm's own insert and update
 * store, on SQLite and (with PODS_TEST_MYSQL_URL) on MariaDB: JSON, nulls,
 * booleans, large numbers.
 */
describe("prepared inserts and updates store what typeorm's own store", () => {
  let db: Database;
  let opened: OpenedTestDatabase;

  before(async () => {
    opened = await openTestDatabase();
    db = opened.db;
  });
  after(() => opened.close());

  const pod = (podId: string): PodRecord => ({
    tenantId: "dev",
    podId,
    siteId: "tacc",
    uid: `uid-${podId}`,
    generation: 3,
    clusterId: "default",
    fields: { image: "nginx:1.27", environment_variables: { A: "1", "B C": "ü ✓ \"quoted\"" }, networking: { main: { port: 8080, tapis_auth: true } } },
    templateVersion: null,
    statusRequested: "ON",
    status: "AVAILABLE",
    statusContainer: { phase: "Running", restarts: 2 },
    creationTs: 1_764_633_600_123,
    updateTs: 9_007_199_254_740_000,
    startInstanceTs: null,
    timeToStopTs: 1_764_640_000_000,
    owner: null,
    mountUsers: { "/data": "alice" },
  });

  it("readsBackAPodWrittenByThePreparedInsertAsOneWrittenByTypeorm", async () => {
    await db.transaction((tx) => podRepository.insert(tx, pod("prepared")));
    await db.transaction((tx) => tx.insert(PodEntity, pod("typeorm") as never));
    const [prepared, byTypeorm] = await db.read(async (m) => [await podRepository.find(m, "dev", "prepared"), await podRepository.find(m, "dev", "typeorm")]);
    assert.deepEqual(prepared, pod("prepared"));
    assert.deepEqual({ ...byTypeorm, podId: "prepared", uid: "uid-prepared" }, prepared);
  });

  it("writesSeveralRowsInOneStatementAndBooleansBothWays", async () => {
    const changes = new PreparedInsert(PodChangeEntity);
    await db.transaction((tx) =>
      changes.insert(tx, [
        { tenantId: "dev", podId: "a", deleted: false, at: 1 },
        { tenantId: "dev", podId: "b", deleted: true, at: 2 },
      ]),
    );
    const rows = await db.read((m) => m.find(PodChangeEntity, { where: { tenantId: "dev" }, order: { revision: "ASC" } }));
    assert.deepEqual(
      rows.filter((row) => row.podId === "a" || row.podId === "b").map(({ podId, deleted, at }) => ({ podId, deleted, at })),
      [
        { podId: "a", deleted: false, at: 1 },
        { podId: "b", deleted: true, at: 2 },
      ],
    );
  });

  it("updatesThePodsChangedFieldsAndNoOtherAsTypeormsUpdateDoes", async () => {
    await db.transaction(async (tx) => {
      await podRepository.insert(tx, pod("updated"));
      await tx.insert(PodEntity, pod("updated-by-typeorm") as never);
    });
    const changes: Partial<PodRecord> = {
      status: "STOPPED",
      statusContainer: { phase: "Succeeded", message: "exit 0 — done" },
      startInstanceTs: 1_764_700_000_000,
      timeToStopTs: null,
      fields: { image: "nginx:1.28" },
      owner: undefined,
      updateTs: 1_764_700_000_001,
    };
    await db.transaction(async (tx) => {
      await podRepository.update(tx, "dev", "updated", changes);
      await tx.update(PodEntity, { tenantId: "dev", podId: "updated-by-typeorm" }, changes as never);
    });
    const [updated, byTypeorm, untouched] = await db.read(async (m) => [
      await podRepository.find(m, "dev", "updated"),
      await podRepository.find(m, "dev", "updated-by-typeorm"),
      await podRepository.find(m, "dev", "prepared"),
    ]);
    const { owner: _left, ...written } = changes;
    assert.deepEqual(updated, { ...pod("updated"), ...written });
    assert.deepEqual({ ...byTypeorm, podId: "updated", uid: "uid-updated" }, updated);
    assert.deepEqual(untouched, pod("prepared"), "another pod is unchanged");
  });
});
