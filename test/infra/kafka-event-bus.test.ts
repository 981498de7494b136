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
  const newBus = (partitions = 3) => {
    const bus = new KafkaEventBus({ brokers, clientId: "pods-test", partitions, replicationFactor: 1, sessionTimeoutMs: 6_000, logger: createJsonLogger({ level: "silent" }) });
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

  it("handsOnLaterMessagesOfAPartitionWhileAnEarlierOnesHandlerIsStillRunning", async () => {
    const topic = `pods.test.${randomBytes(4).toString("hex")}`;
    const bus = newBus(1);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const seen: string[] = [];
    await bus.subscribe(topic, `group-${topic}`, async (message) => {
      seen.push(text(message.value));
      if (message.key === "slow") await held;
    });
    await bus.publish([
      { topic, key: "slow", value: Buffer.from("slow1") },
      { topic, key: "fast", value: Buffer.from("fast1") },
      { topic, key: "slow", value: Buffer.from("slow2") },
      { topic, key: "fast", value: Buffer.from("fast2") },
    ]);
    await eventually("the fast key's messages while the slow one's first is handled", async () => seen.includes("fast2"), 30_000);
    assert.deepEqual(seen, ["slow1", "fast1", "fast2"], "the slow key's second message waits for its first");
    release();
    await eventually("the slow key's second message", async () => seen.includes("slow2"), 30_000);
  });

  it("redeliversToTheNextMemberEveryMessageFromTheFirstWhoseHandlerHadNotFinished", async () => {
    const topic = `pods.test.${randomBytes(4).toString("hex")}`;
    const group = `group-${topic}`;
    const first = newBus(1);
    const handledFirst: string[] = [];
    const subscription = await first.subscribe(topic, group, async (message) => {
      if (message.key === "stuck") return new Promise<void>(() => undefined);
      handledFirst.push(text(message.value));
    });
    await first.publish(["a", "b", "stuck", "c", "d"].map((key) => ({ topic, key, value: Buffer.from(key) })));
    await eventually("the messages around the stuck one to be handled", async () => handledFirst.length === 4, 30_000);
    await subscription.close();

    const second: string[] = [];
    await newBus(1).subscribe(topic, group, async (message) => void second.push(text(message.value)));
    await eventually("the stuck message and those after it", async () => second.length >= 3, 60_000);
    assert.deepEqual(second, ["stuck", "c", "d"]);
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
