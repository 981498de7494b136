import assert from "node:assert/strict";
import { InProcessEventBus } from "../../shared/events/in-process-event-bus.js";

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
});
