import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { KafkaEventBus } from "../../shared/events/kafka-event-bus.js";
import { holdsKey } from "../../shared/events/key-partitions.js";
import { eventually } from "../support/eventually.js";
import { createJsonLogger } from "../../shared/logging/logger.js";

describe("kafka event bus against a real broker", function () {
  this.timeout(120_000);
  const brokers = (process.env.PODS_TEST_KAFKA ?? "").split(",").filter(Boolean);
  const buses: KafkaEventBus[] = [];
  const newBus = () => {
    const bus = new KafkaEventBus({ brokers, clientId: "pods-test", partitions: 3, replicationFactor: 1, sessionTimeoutMs: 6_000, logger: createJsonLogger({ level: "silent" }) });
    buses.push(bus);
    return bus;
  };
  const text = (value: Uint8Array) => Buffer.from(value).toString();

  before(() => assert.ok(brokers.length > 0, "PODS_TEST_KAFKA must name the test broker (npm run test:infra sets it)"));
  after(() => Promise.all(buses.map((bus) => bus.close())));

  it("deliversEachKeysMessagesInOrderToAGroupThatSubscribesLater", async () => {
    const topic = `pods.test.${randomBytes(4).toString("hex")}`;
    const bus = newBus();
    await bus.prepare([topic]);
    const sent = Array.from({ length: 30 }, (_, i) => ({ topic, key: `pod${i % 3}`, value: Buffer.from(`m${i}`) }));
    await bus.publish(sent);
    const seen = new Map<string, string[]>();
    let count = 0;
    const all = new Promise<void>((resolve) =>
      bus.subscribe(topic, `group-${topic}`, async (message) => {
        seen.set(message.key, [...(seen.get(message.key) ?? []), text(message.value)]);
        if (++count === sent.length) resolve();
      }),
    );
    await all;
    for (const key of ["pod0", "pod1", "pod2"]) {
      assert.deepEqual(seen.get(key), sent.filter((m) => m.key === key).map((m) => m.value.toString()));
    }
  });

  it("redeliversAMessageWhoseHandlerFailed", async () => {
    const topic = `pods.test.${randomBytes(4).toString("hex")}`;
    const bus = newBus();
    let attempts = 0;
    const done = new Promise<void>((resolve) =>
      bus.subscribe(topic, `group-${topic}`, async () => {
        if (++attempts < 3) throw new Error("not yet");
        resolve();
      }),
    );
    await bus.publish([{ topic, key: "k", value: Buffer.from("x") }]);
    await done;
    assert.equal(attempts, 3);
  });

  it("splitsAGroupsPartitionsBetweenItsMembersAndDeliversEachKeyToTheMemberThatHoldsIt", async () => {
    const topic = `pods.test.${randomBytes(4).toString("hex")}`;
    const group = `group-${topic}`;
    const seen = [new Set<string>(), new Set<string>()];
    const members = await Promise.all(
      [0, 1].map((i) => newBus().subscribe(topic, group, async (message) => void seen[i]!.add(message.key))),
    );
    const split = await eventually("both members to share the 3 partitions", async () => {
      const shares = members.map((member) => member.assignment());
      if (shares.some((share) => share === null)) return false;
      const held = shares.flatMap((share) => share!.partitions).sort();
      return held.length === 3 && held.join() === "0,1,2" && shares.every((share) => share!.partitionCount === 3) && shares;
    }, 60_000);
    const keys = Array.from({ length: 60 }, (_, i) => `dev/pod${i}`);
    await newBus().publish(keys.map((key) => ({ topic, key, value: Buffer.from(key) })));
    await eventually("every key to arrive", async () => seen[0]!.size + seen[1]!.size >= keys.length, 60_000);
    for (const [i, share] of split.entries()) {
      assert.deepEqual([...seen[i]!].sort(), keys.filter((key) => holdsKey(share!, key)).sort(), `member ${i}`);
    }
  });
});
