import assert from "node:assert/strict";
import { parseEncryptionKeys, type EncryptionKey } from "../../control-plane/crypto/encryption-keys.js";
import { FieldCipher } from "../../control-plane/crypto/field-cipher.js";
import { OutboxRelay } from "../../control-plane/events/outbox-relay.js";
import { Database } from "../../control-plane/storage/database.js";
import { outboxRepository } from "../../control-plane/storage/outbox-repository.js";
import type { BusMessage, EventBus } from "../../shared/events/event-bus.js";
import { createJsonLogger } from "../../shared/logging/logger.js";
import { eventually } from "../support/eventually.js";
import { createTestDatabase, testEncryptionKey, type TestDatabase } from "../support/test-database.js";

/**
 * On MariaDB every replica runs a relay over the one outbox. A relay holds
 * its batch with row locks for one transaction; the others pass those rows
 * over instead of waiting, as they pass over rows whose insert has not
 * committed yet.
 */
describe("the outbox relay on MariaDB", function () {
  this.timeout(60_000);
  const logger = createJsonLogger({ level: "silent" });
  let database: TestDatabase;
  const dbs: Database[] = [];
  const relays: OutboxRelay[] = [];

  const open = async () => {
    const keys = parseEncryptionKeys(testEncryptionKey) as EncryptionKey[];
    const db = await Database.open({ kind: "mysql", url: database.url }, { lockMs: 5_000, statementMs: 5_000 }, logger, new FieldCipher(keys));
    dbs.push(db);
    return db;
  };
  const relayOn = (db: Database, bus: EventBus, options: { batchSize?: number; pollIntervalMs?: number } = {}) => {
    const relay = new OutboxRelay({ db, bus, now: () => Date.now(), logger }, { pollIntervalMs: options.pollIntervalMs ?? 100, batchSize: options.batchSize ?? 100 });
    relays.push(relay);
    relay.start();
    return relay;
  };
  const recording = (published: string[]) => ({ publish: async (messages: BusMessage[]) => void published.push(...messages.map((m) => m.key)) }) as unknown as EventBus;
  const messages = (from: number, count: number): BusMessage[] =>
    Array.from({ length: count }, (_, i) => ({ topic: "pods", key: `pod${from + i}`, value: new Uint8Array([1]) }));

  before(function () {
    if (!process.env.PODS_TEST_MYSQL_URL) assert.fail("PODS_TEST_MYSQL_URL must name the test server (npm run test:infra sets it)");
  });
  beforeEach(async () => {
    database = await createTestDatabase(process.env.PODS_TEST_MYSQL_URL!);
  });
  afterEach(async () => {
    for (const relay of relays.splice(0)) await relay.stop();
    for (const db of dbs.splice(0)) await db.close();
    await database.drop();
  });

  it("publishesEachEventOnceWhenTwoRelaysDrainTheOutboxTogether", async () => {
    const [a, b] = [await open(), await open()];
    const [fromA, fromB]: string[][] = [[], []];
    await a.transaction((tx) => outboxRepository.add(tx, messages(0, 600), Date.now()));
    relayOn(a, recording(fromA), { batchSize: 50 });
    relayOn(b, recording(fromB), { batchSize: 50 });
    await eventually("600 events published", async () => fromA.length + fromB.length >= 600);
    assert.equal(fromA.length + fromB.length, 600);
    assert.equal(new Set([...fromA, ...fromB]).size, 600);
    assert.equal(await a.read((m) => outboxRepository.count(m)), 0);
  });

  it("passesOverTheBatchAnotherRelayHoldsAndPublishesItAgainWhenThatRelayFails", async () => {
    const [a, b] = [await open(), await open()];
    await a.transaction((tx) => outboxRepository.add(tx, messages(0, 3), Date.now()));
    let fail!: (error: Error) => void;
    const holding = new Promise<void>((_, reject) => (fail = reject));
    let held: string[] = [];
    // No poll: relay a makes one pass, at its start. (A pass it made later would hold the next rows too,
    // waiting to publish after the first batch.)
    relayOn(a, { publish: (batch: BusMessage[]) => ((held = batch.map((m) => m.key)), holding) } as unknown as EventBus, { pollIntervalMs: 600_000 });
    await eventually("relay a holds the first three", async () => held.length === 3);
    const fromB: string[] = [];
    relayOn(b, recording(fromB));
    await b.transaction((tx) => outboxRepository.add(tx, messages(3, 2), Date.now()));
    await eventually("relay b publishes the two committed since", async () => fromB.length >= 2);
    assert.deepEqual(fromB, ["pod3", "pod4"]);
    fail(new Error("the broker went away"));
    await eventually("relay b publishes what relay a let go", async () => fromB.length >= 5);
    assert.deepEqual(fromB, ["pod3", "pod4", "pod0", "pod1", "pod2"]);
  });

  it("publishesCommittedEventsWhileAnotherTransactionStillInsertsOne", async () => {
    const db = await open();
    const published: string[] = [];
    const runner = db.dataSource.createQueryRunner();
    await runner.startTransaction();
    try {
      await outboxRepository.add(runner.manager, messages(0, 1), Date.now());
      relayOn(db, recording(published));
      await db.transaction((tx) => outboxRepository.add(tx, messages(1, 1), Date.now()));
      await eventually("the committed event published", async () => published.length >= 1);
      assert.deepEqual(published, ["pod1"]);
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    relays[0]!.wake();
    await eventually("the event committed last published", async () => published.length >= 2);
    assert.deepEqual(published, ["pod1", "pod0"]);
  });

  it("returnsNoConnectionWithItsSessionSettingsToThePool", async () => {
    const db = await open();
    const published: string[] = [];
    const relay = relayOn(db, recording(published));
    await db.transaction((tx) => outboxRepository.add(tx, messages(0, 2), Date.now()));
    relay.wake();
    await eventually("two events published", async () => published.length >= 2);
    await relay.stop();
    // More reads at once than the pool holds connections: every connection it has is asked.
    const sessions = await Promise.all(
      Array.from({ length: 12 }, () => db.read((m) => m.query("SELECT @@autocommit AS autocommit, @@tx_isolation AS isolation, SLEEP(0.05) AS pause"))),
    );
    for (const [session] of sessions as { autocommit: number | string; isolation: string }[][]) {
      assert.deepEqual({ autocommit: Number(session!.autocommit), isolation: session!.isolation }, { autocommit: 1, isolation: "REPEATABLE-READ" });
    }
  });
});
