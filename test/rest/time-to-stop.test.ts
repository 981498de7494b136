import assert from "node:assert/strict";
import { startTestService, type TestService } from "../support/test-service.js";

describe("time to stop", () => {
  let svc: TestService;
  let jwt: string;

  before(async () => {
    svc = await startTestService({ PODS_MIN_TIME_TO_STOP_SECONDS: "1", PODS_TIME_TO_STOP_SWEEP_SECONDS: "1" });
    jwt = await svc.token("alice");
  });
  after(() => svc.stop());

  it("stopsAPodWhenItsTimeToStopDefaultHasPassed", async () => {
    await svc.api("POST", "/v3/pods", { token: jwt, body: { pod_id: "shortlived", template: "postgres", time_to_stop_default: 1 } });
    const running = await svc.waitForStatus(jwt, "shortlived", "AVAILABLE");
    const started = Date.parse(running.body.result.start_instance_ts);
    assert.equal(Date.parse(running.body.result.time_to_stop_ts), started + 1000);
    const stopped = await svc.waitForStatus(jwt, "shortlived", "STOPPED");
    assert.equal(stopped.body.result.status_requested, "OFF");
    assert.equal(stopped.body.result.time_to_stop_ts, null);
    const logs = await svc.api("GET", "/v3/pods/shortlived/logs", { token: jwt });
    assert.ok(logs.body.result.action_logs.some((line: string) => line.includes("Time to stop reached")));
  });

  it("usesTimeToStopInstanceForTheCurrentInstanceAndResetsItOnStart", async () => {
    await svc.api("POST", "/v3/pods", { token: jwt, body: { pod_id: "extended", template: "postgres", time_to_stop_default: 1 } });
    await svc.waitForStatus(jwt, "extended", "AVAILABLE");
    const extended = await svc.api("PUT", "/v3/pods/extended", { token: jwt, body: { time_to_stop_instance: -1 } });
    assert.equal(extended.body.result.time_to_stop_instance, -1);
    assert.equal(extended.body.result.time_to_stop_ts, null);

    await svc.api("GET", "/v3/pods/extended/stop", { token: jwt });
    await svc.waitForStatus(jwt, "extended", "STOPPED");
    const restarted = await svc.api("GET", "/v3/pods/extended/start", { token: jwt });
    assert.equal(restarted.body.result.time_to_stop_instance, null);
    await svc.waitForStatus(jwt, "extended", "AVAILABLE");
    await svc.waitForStatus(jwt, "extended", "STOPPED");
  });

  it("keepsAnInstanceTimeToStopSentTogetherWithAStart", async () => {
    await svc.api("POST", "/v3/pods", { token: jwt, body: { pod_id: "startwithttl", template: "postgres", status_requested: "OFF" } });
    const started = await svc.api("PUT", "/v3/pods/startwithttl", { token: jwt, body: { status_requested: "ON", time_to_stop_instance: 600 } });
    assert.equal(started.status, 200);
    assert.equal(started.body.result.time_to_stop_instance, 600);
    const running = await svc.waitForStatus(jwt, "startwithttl", "AVAILABLE");
    assert.equal(Date.parse(running.body.result.time_to_stop_ts), Date.parse(running.body.result.start_instance_ts) + 600_000);
  });

  /** Creates a pod that runs for the shortest time allowed (1 s here) and waits until time to stop has stopped it. */
  async function stoppedByASweep(podId: string): Promise<{ startedAt: number }> {
    await svc.api("POST", "/v3/pods", { token: jwt, body: { pod_id: podId, template: "postgres", time_to_stop_default: 1 } });
    const running = await svc.waitForStatus(jwt, podId, "AVAILABLE");
    await svc.waitForStatus(jwt, podId, "STOPPED");
    const logs = await svc.api("GET", `/v3/pods/${podId}/logs`, { token: jwt });
    assert.ok(logs.body.result.action_logs.some((line: string) => line.includes("Time to stop reached")), `${podId} was not stopped by a sweep`);
    return { startedAt: Date.parse(running.body.result.start_instance_ts) };
  }

  it("neverStopsAPodWithMinusOne", async () => {
    await svc.api("POST", "/v3/pods", { token: jwt, body: { pod_id: "forever", template: "postgres", time_to_stop_default: -1 } });
    const running = await svc.waitForStatus(jwt, "forever", "AVAILABLE");
    assert.equal(running.body.result.time_to_stop_ts, null);
    const foreverStarted = Date.parse(running.body.result.start_instance_ts);

    // Two witness pods, started after it with the shortest time to stop, are
    // stopped by sweeps that ran past the time "forever" would stop at with
    // any positive time to stop; the second comes a whole sweep after the first.
    const first = await stoppedByASweep("witnessone");
    assert.ok(first.startedAt >= foreverStarted);
    await stoppedByASweep("witnesstwo");

    const after = await svc.api("GET", "/v3/pods/forever", { token: jwt });
    assert.equal(after.body.result.status, "AVAILABLE");
    assert.equal(after.body.result.status_requested, "ON");
    assert.equal(after.body.result.time_to_stop_ts, null);
    const logs = await svc.api("GET", "/v3/pods/forever/logs", { token: jwt });
    assert.deepEqual(logs.body.result.action_logs.filter((line: string) => /Time to stop|Stop requested/.test(line)), []);
  });

  it("clearsAnInstanceOverrideSentAsNull", async () => {
    await svc.api("PUT", "/v3/pods/forever", { token: jwt, body: { time_to_stop_instance: 600 } });
    const cleared = await svc.api("PUT", "/v3/pods/forever", { token: jwt, body: { time_to_stop_instance: null } });
    assert.equal(cleared.status, 200);
    assert.equal(cleared.body.result.time_to_stop_instance, null);
  });
});
