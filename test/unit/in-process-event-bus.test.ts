import assert from "node:assert/strict";
import { InProcessEventBus } from "../../shared/events/in-process-event-bus.js";
import { holdsKey, type Assignment } from "../../shared/events/key-partitions.js";

const message = (key: string, text: string) => ({ topic: "t", key, value: new TextEncoder().encode(text) });
const text = (value: Uint8Array) => new TextDecoder().decode(value);

describe("in-process event bus", () => {
  it("deliversOneKeysMessagesInOrderEvenWhenAHandlerIsSlow", async () => {
    const bus = new InProcessEventBus();
    const seen: string[] = [];
    await bus.subscribe("t", "g", async (m) => {
      if (text(m.value) === "1") await new Promise((resolve) => setTimeout(resolve, 10));
      seen.push(text(m.value));
    });
    await bus.publish([message("k", "1"), message("k", "2"), message("k", "3")]);
    await bus.close();
    assert.deepEqual(seen, ["1", "2", "3"]);
  });

  it("keepsMessagesForAGroupThatSubscribesLate", async () => {
    const bus = new InProcessEventBus();
    await bus.publish([message("k", "early")]);
    const seen: string[] = [];
    await bus.subscribe("t", "g", async (m) => void seen.push(text(m.value)));
    await bus.close();
    assert.deepEqual(seen, ["early"]);
  });

  it("redeliversWhenAHandlerFails", async () => {
    const bus = new InProcessEventBus({ redeliveryDelayMs: 1 });
    let attempts = 0;
    const delivered = new Promise<void>((resolve) =>
      bus.subscribe("t", "g", async () => {
        if (++attempts < 3) throw new Error("not yet");
        resolve();
      }),
    );
    await bus.publish([message("k", "x")]);
    await delivered;
    await bus.close();
    assert.equal(attempts, 3);
  });

  it("givesEachMemberOfAGroupTheKeysOfItsOwnShareAndReassignsWhenOneLeaves", async () => {
    const bus = new InProcessEventBus();
    const seen = { first: [] as string[], second: [] as string[] };
    const told = { first: [] as Assignment[], second: [] as Assignment[] };
    const first = await bus.subscribe("t", "g", async (m) => void seen.first.push(m.key), { onAssignment: (a) => void told.first.push(a) });
    const second = await bus.subscribe("t", "g", async (m) => void seen.second.push(m.key), { onAssignment: (a) => void told.second.push(a) });
    assert.deepEqual(told.first, [{ partitionCount: 1, partitions: [0] }, { partitionCount: 2, partitions: [0] }]);
    assert.deepEqual(told.second, [{ partitionCount: 2, partitions: [1] }]);
    const keys = Array.from({ length: 40 }, (_, i) => `dev/pod${i}`);
    await bus.publish(keys.map((key) => message(key, key)));
    await bus.close();
    assert.deepEqual(seen.first, keys.filter((key) => holdsKey(first.assignment()!, key)));
    assert.deepEqual(seen.second, keys.filter((key) => holdsKey(second.assignment()!, key)));
    assert.ok(seen.first.length > 0 && seen.second.length > 0);
    await second.close();
    assert.deepEqual(told.first.at(-1), { partitionCount: 1, partitions: [0] });
    assert.equal(second.assignment(), null);
  });
});
