import assert from "node:assert/strict";
import { WorkQueue } from "../../agent/reconcile/work-queue.js";
import { within } from "../support/eventually.js";

describe("agent work queue", () => {
  const options = { concurrency: 2, baseBackoffMs: 5, maxBackoffMs: 20, onError: () => {} };
  const queues: WorkQueue[] = [];
  const newQueue = (...args: ConstructorParameters<typeof WorkQueue>) => {
    const queue = new WorkQueue(...args);
    queues.push(queue);
    return queue;
  };
  afterEach(() => queues.splice(0).forEach((queue) => queue.close()));

  it("collapsesRequestsForAKeyThatIsAlreadyWaitingOrRunning", async () => {
    const runs: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const queue = newQueue(async (key) => {
      runs.push(key);
      if (runs.length === 1) await gate;
      return { kind: "done" };
    }, options);
    const first = queue.enqueue("a");
    const second = queue.enqueue("a");
    const third = queue.enqueue("a");
    release();
    await within("the three requests for key a to be served", Promise.all([first, second, third]));
    await within("the queue to become idle", queue.idle());
    assert.deepEqual(runs, ["a", "a"]);
  });

  it("retriesAFailingKeyWithBackoffUntilItSucceeds", async () => {
    let attempts = 0;
    const errors: string[] = [];
    let succeeded!: () => void;
    const success = new Promise<void>((resolve) => (succeeded = resolve));
    const queue = newQueue(
      async () => {
        attempts++;
        if (attempts < 3) throw new Error(`attempt ${attempts}`);
        succeeded();
        return { kind: "done" };
      },
      { ...options, onError: (_key, error) => errors.push(String(error)) },
    );
    await within("the first attempt", queue.enqueue("a"));
    await within("the third attempt to succeed after two retries", success);
    await within("the queue to become idle", queue.idle());
    assert.equal(attempts, 3);
    assert.deepEqual(errors, ["Error: attempt 1", "Error: attempt 2"]);
  });

  it("neverRunsMoreKeysAtOnceThanItsConcurrency", async () => {
    let running = 0;
    let peak = 0;
    const queue = newQueue(async () => {
      peak = Math.max(peak, ++running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      return { kind: "done" };
    }, options);
    await within("all five keys to be synced", Promise.all(["a", "b", "c", "d", "e"].map((key) => queue.enqueue(key))));
    assert.equal(peak, 2);
  });
});
