import assert from "node:assert/strict";
import { WorkQueue } from "../../agent/reconcile/work-queue.js";

describe("agent work queue", () => {
  const options = { concurrency: 2, baseBackoffMs: 5, maxBackoffMs: 20, onError: () => {} };

  it("collapsesRequestsForAKeyThatIsAlreadyWaitingOrRunning", async () => {
    const runs: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const queue = new WorkQueue(async (key) => {
      runs.push(key);
      if (runs.length === 1) await gate;
      return { kind: "done" };
    }, options);
    const first = queue.enqueue("a");
    const second = queue.enqueue("a");
    const third = queue.enqueue("a");
    release();
    await Promise.all([first, second, third]);
    await queue.idle();
    assert.deepEqual(runs, ["a", "a"]);
  });

  it("retriesAFailingKeyWithBackoffUntilItSucceeds", async () => {
    let attempts = 0;
    const errors: string[] = [];
    const queue = new WorkQueue(
      async () => {
        attempts++;
        if (attempts < 3) throw new Error(`attempt ${attempts}`);
        return { kind: "done" };
      },
      { ...options, onError: (_key, error) => errors.push(String(error)) },
    );
    await queue.enqueue("a");
    while (attempts < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    await queue.idle();
    assert.equal(attempts, 3);
    assert.deepEqual(errors, ["Error: attempt 1", "Error: attempt 2"]);
    queue.close();
  });

  it("neverRunsMoreKeysAtOnceThanItsConcurrency", async () => {
    let running = 0;
    let peak = 0;
    const queue = new WorkQueue(async () => {
      peak = Math.max(peak, ++running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      return { kind: "done" };
    }, options);
    await Promise.all(["a", "b", "c", "d", "e"].map((key) => queue.enqueue(key)));
    assert.equal(peak, 2);
  });
});
