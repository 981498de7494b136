import assert from "node:assert/strict";
import type { Interceptor } from "@connectrpc/connect";
import { join } from "node:path";
import { startAgent, type Agent } from "../../agent/create-agent.js";
import { SimulatedDriver } from "../../agent/drivers/simulated-driver.js";
import { InProcessEventBus } from "../../shared/events/in-process-event-bus.js";
import { createJsonLogger } from "../../shared/logging/logger.js";
import { eventually } from "../support/eventually.js";
import { startTestService, type TestService } from "../support/test-service.js";

describe("agent resync", () => {
  const pods = Array.from({ length: 25 }, (_, i) => `resync${i}`);
  const calls = new Map<string, number>();
  const countCalls: Interceptor = (next) => (req) => {
    if (req.method.name !== "Session") calls.set(req.method.name, (calls.get(req.method.name) ?? 0) + 1);
    return next(req);
  };
  const bus = new InProcessEventBus();
  let svc: TestService;
  let agent: Agent | undefined;

  before(async () => {
    svc = await startTestService();
    const alice = await svc.token("alice");
    for (const podId of pods) {
      const created = await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: podId, template: "postgres" } });
      assert.equal(created.status, 200, created.body.message);
    }
    await eventually("every pod AVAILABLE", async () => {
      const listed = (await svc.api("GET", "/v3/pods", { token: alice })).body.result as { pod_id: string; status: string }[];
      return listed.filter((pod) => pods.includes(pod.pod_id) && pod.status === "AVAILABLE").length === pods.length;
    });
    // A second agent of the cluster, with a bus of its own: it holds every pod and learns of them only by resync.
    const admin = await svc.token("admin");
    const token = await svc.api("POST", "/v3/pods/clusters/local/agent_tokens", { token: admin, body: { description: "resync test" } });
    assert.equal(token.status, 200, token.body.message);
    agent = await startAgent({
      clusterId: "local",
      agentId: "resync-test-agent",
      controlPlaneUrls: [svc.grpcUrl],
      agentToken: token.body.result.secret as string,
      bus,
      createDriver: (sink) => new SimulatedDriver(sink, 0),
      storageDir: join(svc.dataDir, "storage"),
      resyncSeconds: 0,
      concurrency: 4,
      deadlines: { rpcMs: 30_000, listingMs: 60_000 },
      interceptors: [countCalls],
      logger: createJsonLogger({ level: "silent" }),
    });
  });
  after(async () => {
    await agent?.stop();
    await bus.close();
    await svc.stop();
  });

  it("bringsEveryPodOfTheClusterOntoAnAgentThatHadNone", async () => {
    const summary = await agent!.resync();
    assert.equal(summary.listed, pods.length);
    const held = (await agent!.driver.list()).map((key) => key.podId).sort();
    assert.deepEqual(held, [...pods].sort());
  });

  it("readsAllPodsInSyncWithOneListingAndNoReadPerPod", async () => {
    calls.clear();
    const summary = await agent!.resync();
    assert.deepEqual([summary.listed, summary.present], [pods.length, pods.length]);
    assert.deepEqual(Object.fromEntries(calls), { StreamDesiredPods: 1 });
  });
});
