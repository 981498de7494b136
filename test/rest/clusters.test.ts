import assert from "node:assert/strict";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { startAgent, type Agent } from "../../agent/create-agent.js";
import { SimulatedDriver } from "../../agent/drivers/simulated-driver.js";
import { createJsonLogger } from "../../shared/logging/logger.js";
import { agentClient } from "../support/agent-client.js";
import { startTestService, type TestService } from "../support/test-service.js";

describe("clusters registered through the Clusters API", () => {
  let svc: TestService;
  let admin: string;
  let alice: string;
  let agent: Agent | undefined;

  before(async () => {
    svc = await startTestService();
    admin = await svc.token("admin");
    alice = await svc.token("alice");
  });
  after(async () => {
    await agent?.stop();
    await svc.stop();
  });

  it("isForServiceAdministratorsOnly", async () => {
    const answer = await svc.api("GET", "/v3/pods/clusters", { token: alice });
    assert.equal(answer.status, 403);
    assert.match(answer.body.message, /only administrators of this service may call ListClusters/);
  });

  it("listsTheConfiguredClusterWithItsConnectedAgent", async () => {
    const answer = await svc.api("GET", "/v3/pods/clusters", { token: admin });
    assert.equal(answer.status, 200);
    const local = answer.body.result.find((c: { cluster_id: string }) => c.cluster_id === "local");
    assert.deepEqual(local.compute_queues.map((q: { name: string }) => q.name), ["default"]);
    assert.equal(local.agents.length, 1);
  });

  it("validatesNewClusters", async () => {
    const bad = await svc.api("POST", "/v3/pods/clusters", { token: admin, body: { cluster_id: "Bad_Id", compute_queues: [{ name: "default" }] } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /cluster_id: must be 2-63 lowercase letters/);
    assert.match(bad.body.message, /compute_queues\[0\]\.name: queue 'default' is already served by cluster 'local'/);
  });

  it("placesPodsOfItsQueueOnItOnceAnAgentWithItsTokenConnects", async () => {
    const created = await svc.api("POST", "/v3/pods/clusters", { token: admin, body: { cluster_id: "gpu1", compute_queues: [{ name: "gpu", node_selector: { accelerator: "a100" } }] } });
    assert.equal(created.status, 200, created.body.message);
    assert.equal((await svc.api("POST", "/v3/pods/clusters", { token: admin, body: { cluster_id: "gpu1" } })).status, 409);
    const token = await svc.api("POST", "/v3/pods/clusters/gpu1/agent_tokens", { token: admin, body: { description: "test agent" } });
    assert.equal(token.status, 200, token.body.message);
    const secret = token.body.result.secret as string;
    assert.ok(secret.length > 30);

    await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: "ongpu", template: "postgres", compute_queue: "gpu" } });
    assert.equal((await svc.api("GET", "/v3/pods/ongpu", { token: alice })).body.result.status, "REQUESTED");
    agent = await startAgent({
      clusterId: "gpu1",
      agentId: randomUUID(),
      controlPlaneUrls: [svc.grpcUrl],
      agentToken: secret,
      bus: svc.service.bus,
      createDriver: (sink) => new SimulatedDriver(sink, 10),
      storageDir: join(svc.dataDir, "storage"),
      resyncSeconds: 1,
      concurrency: 4,
      deadlines: { rpcMs: 30_000, listingMs: 60_000 },
      logger: createJsonLogger({ level: "silent" }),
    });
    const running = await svc.waitForStatus(alice, "ongpu", "AVAILABLE");
    assert.equal(running.body.result.status_container.cluster_id, "gpu1");
    const asAgent = agentClient(svc.grpcUrl, secret);
    const { pod } = await asAgent.getDesiredPod({ tenantId: "dev", podId: "ongpu" });
    assert.deepEqual(pod?.nodeSelector, { accelerator: "a100" }, "the queue's placement reaches the agent");
    const cluster = await svc.api("GET", "/v3/pods/clusters/gpu1", { token: admin });
    assert.equal(cluster.body.result.agents.length, 1);
    assert.ok(!JSON.stringify(cluster.body).includes(secret), "the secret is shown only when created");
  });

  it("refusesToDeleteAClusterThatStillRunsPods", async () => {
    const refused = await svc.api("DELETE", "/v3/pods/clusters/gpu1", { token: admin });
    assert.equal(refused.status, 400);
    assert.match(refused.body.message, /cluster 'gpu1' still runs 1 pod/);
    await svc.api("DELETE", "/v3/pods/ongpu", { token: alice });
    assert.equal((await svc.api("DELETE", "/v3/pods/clusters/gpu1", { token: admin })).status, 200);
    assert.equal((await svc.api("GET", "/v3/pods/clusters/gpu1", { token: admin })).status, 404);
  });
});
