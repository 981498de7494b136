import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEncryptionKeys, type EncryptionKey } from "../../control-plane/crypto/encryption-keys.js";
import { FieldCipher } from "../../control-plane/crypto/field-cipher.js";
import { OutboxRelay } from "../../control-plane/events/outbox-relay.js";
import { Database } from "../../control-plane/storage/database.js";
import { outboxRepository } from "../../control-plane/storage/outbox-repository.js";
import type { BusMessage, EventBus } from "../../shared/events/event-bus.js";
import { createJsonLogger } from "../../shared/logging/logger.js";
import { eventually } from "../support/eventually.js";
import { testEncryptionKey } from "../support/test-database.js";

/**
 * A relay pass reads what the outbox holds, publishes it and deletes it.
 * A read that found less than a full batch took everything there was, so
 * the pass ends there instead of reading once more to find nothing: a commit
 * made meanwhile wakes the relay for a pass of its own. The bus here only
 * records what it is given (the relay over Kafka and the in-process bus is
 * exercised end to end by the REST and crash suites). A wake waits for the
 * turn of the event loop to end, so that the commits of one turn share a pass.
 */
describe("the outbox relay reads once per batch (SQLite)", () => {
  let db: Database;
  let dir: string;
  let relay: OutboxRelay | undefined;
  const published: string[] = [];
  /** Reads and transactions: each is one turn on SQLite's one connection. */
  let units = 0;
  const bus = { publish: async (messages: BusMessage[]) => void published.push(...messages.map((m) => m.key)) } as unknown as EventBus;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pods-relay-"));
    const keys = parseEncryptionKeys(testEncryptionKey) as EncryptionKey[];
    db = await Database.open({ kind: "sqlite", url: join(dir, "pods.db") }, { lockMs: 5_000, statementMs: 5_000 }, createJsonLogger({ level: "silent" }), new FieldCipher(keys));
    published.length = 0;
    units = 0;
    const transaction = db.transaction.bind(db);
    db.transaction = (work) => {
      units++;
      return transaction(work);
    };
    const read = db.read.bind(db);
    db.read = (work) => {
      units++;
      return read(work);
    };
  });
  afterEach(async () => {
    await relay?.stop();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  const messages = (from: number, count: number): BusMessage[] =>
    Array.from({ length: count }, (_, i) => ({ topic: "pods", key: `pod${from + i}`, value: new Uint8Array([1]) }));
  const keys = (from: number, count: number) => messages(from, count).map((m) => m.key);

  function startRelay(batchSize: number): OutboxRelay {
    relay = new OutboxRelay({ db, bus, now: () => Date.now(), logger: createJsonLogger({ level: "silent" }) }, { pollIntervalMs: 60_000, batchSize });
    return relay;
  }

  it("publishes three events with one read and one delete", async () => {
    await db.transaction((tx) => outboxRepository.add(tx, messages(0, 3), Date.now()));
    units = 0;
    startRelay(100).start();
    await eventually("three events published", async () => published.length >= 3);
    assert.deepEqual(published, keys(0, 3));
    await relay!.stop();
    assert.equal(units, 2);
    assert.equal(await db.read((m) => outboxRepository.count(m)), 0);
  });

  it("publishes 250 events in order in batches of 100: three reads and three deletes", async () => {
    await db.transaction((tx) => outboxRepository.add(tx, messages(0, 250), Date.now()));
    units = 0;
    startRelay(100).start();
    await eventually("250 events published", async () => published.length >= 250);
    assert.deepEqual(published, keys(0, 250));
    await relay!.stop();
    assert.equal(units, 6);
  });

  it("publishes what several commits of one turn of the event loop wrote in one pass", async () => {
    startRelay(100).start();
    await eventually("the first pass done", async () => units >= 1);
    await relay!.stop();
    relay!.start();
    units = 0;
    // One after another, as requests end; on SQLite each commit is done before the next begins.
    for (let round = 0; round < 5; round++) {
      await db.transaction((tx) => outboxRepository.add(tx, messages(round * 2, 2), Date.now()));
      relay!.wake();
    }
    const written = 5;
    await eventually("ten events published", async () => published.length >= 10);
    await relay!.stop();
    assert.deepEqual(published, keys(0, 10));
    assert.equal(units - written, 2, "one read and one delete");
  });

  it("publishes, when stopped, the batch a wake asked for, and after a restart what is committed next", async () => {
    startRelay(100).start();
    await relay!.stop();
    relay!.start();
    await db.transaction((tx) => outboxRepository.add(tx, messages(0, 2), Date.now()));
    relay!.wake();
    await relay!.stop();
    assert.deepEqual(published, keys(0, 2));
    relay!.start();
    await db.transaction((tx) => outboxRepository.add(tx, messages(2, 2), Date.now()));
    relay!.wake();
    await eventually("four events published", async () => published.length >= 4);
    assert.deepEqual(published, keys(0, 4));
  });

  it("publishes an event committed while a pass runs, in a pass of its own", async () => {
    startRelay(100).start();
    for (let round = 0; round < 5; round++) {
      await db.transaction((tx) => outboxRepository.add(tx, messages(round * 2, 2), Date.now()));
      relay!.wake();
    }
    await eventually("ten events published", async () => published.length >= 10);
    assert.deepEqual(published, keys(0, 10));
    assert.equal(await db.read((m) => outboxRepository.count(m)), 0);
  });
});
