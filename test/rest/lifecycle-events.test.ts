import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import { PodLifecycleEventSchema, type PodLifecycleEvent } from "../../gen/tapis/pods/v1/events_pb.js";
import { PodStatus, StatusRequested } from "../../gen/tapis/pods/v1/pod_pb.js";
import { podEventsTopic } from "../../shared/events/event-bus.js";
import { startTestService, type TestService } from "../support/test-service.js";

describe("pod lifecycle events for other services", () => {
  let svc: TestService;
  const events: PodLifecycleEvent[] = [];

  before(async () => {
    svc = await startTestService();
    await svc.service.bus.subscribe(podEventsTopic, "test-listener", async (message) => {
      events.push(fromBinary(PodLifecycleEventSchema, message.value));
    });
  });
  after(() => svc.stop());

  it("publishesEveryStatusChangeFromCreationToDeletion", async () => {
    const jwt = await svc.token("alice");
    await svc.api("POST", "/v3/pods", { token: jwt, body: { pod_id: "watched", template: "postgres" } });
    await svc.waitForStatus(jwt, "watched", "AVAILABLE");
    await svc.api("GET", "/v3/pods/watched/stop", { token: jwt });
    await svc.waitForStatus(jwt, "watched", "STOPPED");
    await svc.api("DELETE", "/v3/pods/watched", { token: jwt });
    const deadline = Date.now() + 5_000;
    while (!events.some((e) => e.deleted) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));

    const mine = events.filter((e) => e.podId === "watched");
    const statuses = mine.map((e) => PodStatus[e.status]);
    assert.deepEqual(statuses.slice(0, 3), ["REQUESTED", "SPAWNING", "AVAILABLE"]);
    const stop = mine.find((e) => e.statusRequested === StatusRequested.OFF)!;
    assert.equal(stop.actor, "alice");
    assert.match(stop.reason, /Stop requested by alice/);
    assert.ok(statuses.includes("STOPPED"));
    const last = mine.at(-1)!;
    assert.equal(last.deleted, true);
    assert.equal(last.tenantId, "dev");
    assert.ok(mine.filter((e) => e.status === PodStatus.SPAWNING).every((e) => e.actor === "cluster"));
  });

  describe("with the outbox polled only once a minute", () => {
    let slow: TestService;
    const seen: PodLifecycleEvent[] = [];

    before(async () => {
      slow = await startTestService({ PODS_OUTBOX_POLL_MS: "60000" });
      await slow.service.bus.subscribe(podEventsTopic, "test-listener", async (message) => {
        seen.push(fromBinary(PodLifecycleEventSchema, message.value));
      });
    });
    after(() => slow.stop());

    it("publishesTheStatusesTheClusterReportsWithoutWaitingForThePoll", async () => {
      const jwt = await slow.token("alice");
      await slow.api("POST", "/v3/pods", { token: jwt, body: { pod_id: "prompt", template: "postgres" } });
      await slow.waitForStatus(jwt, "prompt", "AVAILABLE");
      const deadline = Date.now() + 10_000;
      while (!seen.some((e) => e.status === PodStatus.AVAILABLE) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(
        seen.filter((e) => e.podId === "prompt").map((e) => PodStatus[e.status]),
        ["REQUESTED", "SPAWNING", "AVAILABLE"],
      );
    });
  });
});
