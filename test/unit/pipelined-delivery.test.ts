import assert from "node:assert/strict";
import { PipelinedDelivery } from "../../shared/events/pipelined-delivery.js";
import { createJsonLogger } from "../../shared/logging/logger.js";
import { eventually } from "../support/eventually.js";

const logger = createJsonLogger({ level: "silent" });
const heartbeat = async () => undefined;
const message = (key: string) => ({ topic: "t", key, value: Buffer.from(key) });

describe("a consumer's messages handed on without waiting for earlier ones", () => {
  it("handsOnOtherKeysWhileOneIsHandledAndCommitsOnlyPastWhatIsHandled", async () => {
    const commits: { partition: number; offset: string }[][] = [];
    const releases = new Map<string, () => void>();
    const started: string[] = [];
    const delivery = new PipelinedDelivery(
      (m) => {
        started.push(m.key);
        return new Promise<void>((resolve) => releases.set(m.key, resolve));
      },
      async (offsets) => void commits.push(offsets),
      logger,
    );
    await delivery.deliver(0, "0", message("a"), heartbeat);
    await delivery.deliver(0, "1", message("b"), heartbeat);
    await delivery.deliver(0, "2", message("a"), heartbeat);
    await eventually("both keys to be handed on", async () => started.length === 2);
    assert.deepEqual(started, ["a", "b"], "a's second message waits for its first");

    releases.get("b")!();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(commits, [], "nothing is committed while the partition's first message is handled");
    releases.get("a")!();
    await eventually("offsets up to b to be committed", async () => commits.length === 1);
    assert.deepEqual(commits, [[{ partition: 0, offset: "2" }]]);
    await eventually("a's second message to be handed on", async () => started.length === 3);
    releases.get("a")!();
    await eventually("the last offset to be committed", async () => commits.length === 2);
    assert.deepEqual(commits[1], [{ partition: 0, offset: "3" }]);
  });

  it("retriesAFailedHandlerAndHoldsItsPartitionsCommitsUntilItSucceeds", async () => {
    const commits: string[] = [];
    let attempts = 0;
    const delivery = new PipelinedDelivery(
      async (m) => {
        if (m.key === "flaky" && ++attempts < 2) throw new Error("not yet");
      },
      async (offsets) => void commits.push(...offsets.map((o) => o.offset)),
      logger,
    );
    await delivery.deliver(3, "40", message("flaky"), heartbeat);
    await delivery.deliver(3, "41", message("other"), heartbeat);
    await eventually("the retry to succeed and both offsets to be committed", async () => commits.includes("42"), 5_000);
    assert.equal(attempts, 2);
    assert.ok(!commits.includes("41"), `committed ${commits.join()}`);
  });

  it("commitsWhatWasHandledWhenItStopsAndLeavesTheRestToBeRedelivered", async () => {
    const commits: string[] = [];
    const delivery = new PipelinedDelivery(
      (m) => (m.key === "stuck" ? new Promise<void>(() => undefined) : Promise.resolve()),
      async (offsets) => void commits.push(...offsets.map((o) => o.offset)),
      logger,
    );
    await delivery.deliver(0, "7", message("done"), heartbeat);
    await delivery.deliver(0, "8", message("stuck"), heartbeat);
    await delivery.deliver(0, "9", message("after"), heartbeat);
    await delivery.stop();
    assert.deepEqual(commits, ["8"]);
  });
});
