import assert from "node:assert/strict";
import { startTestService, type TestService } from "../support/test-service.js";

describe("pod lifecycle over REST (quickstart)", () => {
  let svc: TestService;
  let jwt: string;

  before(async () => {
    svc = await startTestService();
    jwt = await svc.token("alice");
  });
  after(() => svc.stop());

  it("createsDocpodFromNeo4jTemplateAndItBecomesAvailable", async () => {
    const created = await svc.api("POST", "/v3/pods", { token: jwt, body: { pod_id: "docpod", template: "neo4j", description: "My example pod!" } });
    assert.equal(created.status, 200);
    assert.equal(created.headers.get("content-type"), "application/json");
    assert.deepEqual(Object.keys(created.body), ["message", "metadata", "result", "status", "version"]);
    assert.equal(created.body.status, "success");
    assert.equal(created.body.result.pod_id, "docpod");
    assert.equal(created.body.result.status, "REQUESTED");
    assert.equal(created.body.result.status_requested, "ON");
    assert.equal(created.body.result.template, "neo4j");
    assert.equal(created.body.result.image, "neo4j:5.26");
    assert.equal(created.body.result.networking.bolt.url, "docpod-bolt.pods.dev.localhost");

    const available = await svc.waitForStatus(jwt, "docpod", "AVAILABLE");
    assert.ok(available.body.result.start_instance_ts);
    assert.ok(Date.parse(available.body.result.time_to_stop_ts) > Date.now());
  });

  it("returnsLogsAndActionLogs", async () => {
    const logs = await svc.api("GET", "/v3/pods/docpod/logs", { token: jwt });
    assert.equal(logs.status, 200);
    assert.match(logs.body.result.logs, /simulated/);
    assert.ok(Array.isArray(logs.body.result.action_logs));
    assert.ok(logs.body.result.action_logs.some((line: string) => line.includes("Pod created by alice")));
    assert.ok(logs.body.result.action_logs.some((line: string) => line.includes("AVAILABLE")));
  });

  it("updatesTheDescriptionOnly", async () => {
    const updated = await svc.api("PUT", "/v3/pods/docpod", { token: jwt, body: { description: "Updated description" } });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.result.description, "Updated description");
    assert.equal(updated.body.result.status, "AVAILABLE");
    assert.equal(updated.body.result.template, "neo4j");
  });

  it("stopsThenStartsThenRestarts", async () => {
    const stop = await svc.api("GET", "/v3/pods/docpod/stop", { token: jwt });
    assert.equal(stop.status, 200);
    assert.equal(stop.body.result.status_requested, "OFF");
    await svc.waitForStatus(jwt, "docpod", "STOPPED");

    const start = await svc.api("GET", "/v3/pods/docpod/start", { token: jwt });
    assert.equal(start.body.result.status_requested, "ON");
    assert.equal(start.body.result.status, "REQUESTED");
    const running = await svc.waitForStatus(jwt, "docpod", "AVAILABLE");
    const firstInstance = running.body.result.start_instance_ts;

    const restart = await svc.api("GET", "/v3/pods/docpod/restart", { token: jwt });
    assert.equal(restart.body.result.status, "RESTARTING");
    const again = await svc.waitForStatus(jwt, "docpod", "AVAILABLE");
    assert.equal(again.body.result.status_requested, "ON");
    assert.notEqual(again.body.result.start_instance_ts, firstInstance);
    const logs = await svc.api("GET", "/v3/pods/docpod/logs", { token: jwt });
    assert.ok(logs.body.result.action_logs.some((line: string) => line.includes("Restart requested by alice")));
  });

  it("acceptsPostForLifecycleVerbs", async () => {
    const stop = await svc.api("POST", "/v3/pods/docpod/stop", { token: jwt });
    assert.equal(stop.status, 200);
    await svc.waitForStatus(jwt, "docpod", "STOPPED");
    await svc.api("POST", "/v3/pods/docpod/start", { token: jwt });
    await svc.waitForStatus(jwt, "docpod", "AVAILABLE");
  });

  it("listsThePodForItsOwnerOnly", async () => {
    const mine = await svc.api("GET", "/v3/pods", { token: jwt });
    assert.deepEqual(mine.body.result.map((p: { pod_id: string }) => p.pod_id), ["docpod"]);
    const theirs = await svc.api("GET", "/v3/pods", { token: await svc.token("bob") });
    assert.deepEqual(theirs.body.result, []);
  });

  it("deletesThePodAndThenAnswers404", async () => {
    const deleted = await svc.api("DELETE", "/v3/pods/docpod", { token: jwt });
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.status, "success");
    const gone = await svc.api("GET", "/v3/pods/docpod", { token: jwt });
    assert.equal(gone.status, 404);
    assert.equal(gone.body.status, "error");
    assert.equal(gone.body.result, null);
    assert.match(gone.body.message, /pod 'docpod' not found/);
  });

  it("letsTheSameIdBeUsedAgainAfterDelete", async () => {
    const created = await svc.api("POST", "/v3/pods", { token: jwt, body: { pod_id: "docpod", template: "postgres" } });
    assert.equal(created.status, 200);
    await svc.waitForStatus(jwt, "docpod", "AVAILABLE");
    assert.equal((await svc.api("DELETE", "/v3/pods/docpod", { token: jwt })).status, 200);
  });
});
