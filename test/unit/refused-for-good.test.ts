import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import { AgentService, DesiredPodSchema, type DesiredPod } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import type { ClusterDriver, SyncOutcome } from "../../agent/drivers/cluster-driver.js";
import { refusedForGood } from "../../agent/drivers/kubernetes/kubernetes-api.js";
import { PodReconciler } from "../../agent/reconcile/pod-reconciler.js";
import { WorkQueue } from "../../agent/reconcile/work-queue.js";
import { createJsonLogger } from "../../shared/logging/logger.js";
import { eventually } from "../support/eventually.js";

describe("syncs refused for good", () => {
  it("doesNotRetryAKeyWhoseSyncEndedTerminal", async () => {
    const runs: string[] = [];
    const terminal: string[] = [];
    const queue = new WorkQueue(
      async (key) => {
        runs.push(key);
        return key === "refused" ? { kind: "terminal", reason: "invalid" } : { kind: "requeue", afterMs: 1 };
      },
      { concurrency: 2, baseBackoffMs: 1, maxBackoffMs: 1, onError: () => {}, onTerminal: (key, reason) => terminal.push(`${key}: ${reason}`) },
    );
    await queue.enqueue("refused");
    // A requeued key runs again and again meanwhile; the refused one stays put.
    await queue.enqueue("requeued");
    await eventually("the requeued key to run five times", async () => runs.filter((key) => key === "requeued").length >= 5, 5_000);
    queue.close();
    assert.equal(runs.filter((key) => key === "refused").length, 1);
    assert.deepEqual(terminal, ["refused: invalid"]);
  });

  it("leavesAPodRefusedForGoodAloneUntilItChanges", async () => {
    let current = create(DesiredPodSchema, { tenantId: "dev", podId: "bad", uid: "u1", generation: 1n });
    const applied: bigint[] = [];
    const client = { getDesiredPod: async () => ({ pod: current }) } as unknown as Client<typeof AgentService>;
    const driver = {
      apply: async (desired: DesiredPod): Promise<SyncOutcome> => {
        applied.push(desired.generation);
        return desired.generation === 1n ? { kind: "terminal", reason: "invalid" } : { kind: "done" };
      },
    } as unknown as ClusterDriver;
    const reconciler = new PodReconciler(client, driver, "local", createJsonLogger({ level: "silent" }));
    assert.equal((await reconciler.sync("dev/bad")).kind, "terminal");
    assert.equal((await reconciler.sync("dev/bad")).kind, "done");
    assert.equal((await reconciler.sync("dev/bad")).kind, "done");
    assert.deepEqual(applied, [1n], "the refused generation is tried once");
    current = create(DesiredPodSchema, { ...current, generation: 2n });
    await reconciler.sync("dev/bad");
    assert.deepEqual(applied, [1n, 2n], "the next generation is tried");
  });

  it("tellsRefusalsForGoodFromFailuresWorthRetrying", () => {
    const forGood: [number, string][] = [
      [400, "bad request"],
      [404, 'namespaces "gone" not found'],
      [403, 'pods "x" is forbidden: violates PodSecurity "restricted:latest"'],
      [413, "request entity too large"],
      [422, 'ConfigMap "x" is invalid: []: Too long: may not be more than 1048576 bytes'],
    ];
    const retried: [number, string][] = [
      [403, 'pods "x" is forbidden: exceeded quota: compute, requested: cpu=2, used: cpu=9, limited: cpu=10'],
      [409, "object is being deleted: pods \"x\" already exists"],
      [429, "too many requests"],
      [500, "failed to create typed patch object"],
      [503, "unavailable"],
      [401, "Unauthorized"],
    ];
    for (const [status, message] of forGood) assert.equal(refusedForGood(status, message), true, `${status} ${message}`);
    for (const [status, message] of retried) assert.equal(refusedForGood(status, message), false, `${status} ${message}`);
  });
});
