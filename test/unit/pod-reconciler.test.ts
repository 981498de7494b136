import assert from "node:assert/strict";
import { createJsonLogger } from "../../shared/logging/logger.js";
import { create } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import { DesiredPodSchema, type AgentService, type DesiredPod } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import type { ClusterDriver } from "../../agent/drivers/cluster-driver.js";
import { PodReconciler } from "../../agent/reconcile/pod-reconciler.js";

describe("pod reconciler with a resync listing", () => {
  const key = "dev/web";
  const desired = (generation: bigint) => create(DesiredPodSchema, { tenantId: "dev", podId: "web", uid: "u1", generation });
  let current: DesiredPod;
  let reads: number;
  let applied: bigint[];
  let reconciler: PodReconciler;

  beforeEach(() => {
    current = desired(2n);
    reads = 0;
    applied = [];
    const client = {
      getDesiredPod: async () => {
        reads++;
        return { pod: current };
      },
    } as unknown as Client<typeof AgentService>;
    const driver = {
      apply: async (pod: DesiredPod) => {
        applied.push(pod.generation);
        return { kind: "done" };
      },
    } as unknown as ClusterDriver;
    reconciler = new PodReconciler(client, driver, "c1", createJsonLogger({ level: "silent" }));
  });

  it("appliesTheListedStateWithoutReadingThePod", async () => {
    reconciler.beginListing();
    reconciler.offer(key, desired(2n));
    reconciler.endListing();
    await reconciler.sync(key);
    assert.deepEqual([reads, applied], [0, [2n]]);
  });

  it("readsThePodAfreshWhenAnEventArrivedDuringTheListing", async () => {
    reconciler.beginListing();
    reconciler.changed(key);
    reconciler.offer(key, desired(1n));
    reconciler.endListing();
    await reconciler.sync(key);
    assert.deepEqual([reads, applied], [1, [2n]]);
  });

  it("readsThePodAfreshWhenAnEventArrivedAfterTheListing", async () => {
    reconciler.beginListing();
    reconciler.offer(key, desired(1n));
    reconciler.endListing();
    reconciler.changed(key);
    await reconciler.sync(key);
    assert.deepEqual([reads, applied], [1, [2n]]);
  });

  it("usesAListedStateOnceThenReadsAgain", async () => {
    reconciler.beginListing();
    reconciler.offer(key, desired(2n));
    reconciler.endListing();
    await reconciler.sync(key);
    current = desired(3n);
    await reconciler.sync(key);
    assert.deepEqual([reads, applied], [1, [2n, 3n]]);
  });

  it("forgetsWhatABrokenListingOffered", async () => {
    reconciler.beginListing();
    reconciler.offer(key, desired(1n));
    reconciler.endListing();
    reconciler.discard(key);
    await reconciler.sync(key);
    assert.deepEqual([reads, applied], [1, [2n]]);
  });
});
