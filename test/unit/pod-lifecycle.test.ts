import assert from "node:assert/strict";
import { applyObservation, requestRestart, requestStart, requestStop, type Observation } from "../../control-plane/pods/pod-lifecycle.js";
import type { PodRecord } from "../../control-plane/pods/pod-model.js";

function pod(overrides: Partial<PodRecord> = {}): PodRecord {
  return {
    tenantId: "dev",
    podId: "p1",
    siteId: "local",
    uid: "uid-1",
    generation: 3,
    clusterId: "local",
    fields: { image: "x", time_to_stop_instance: 900 },
    templateVersion: null,
    statusRequested: "ON",
    status: "AVAILABLE",
    statusContainer: {},
    creationTs: 0,
    updateTs: 0,
    startInstanceTs: 1_000,
    timeToStopTs: 901_000,
    ...overrides,
  };
}

function seen(overrides: Partial<Observation> = {}): Observation {
  return { uid: "uid-1", generation: 3, status: "AVAILABLE", statusContainer: {}, event: "", instanceStartedAt: null, ...overrides };
}

describe("pod state machine", () => {
  it("doesNothingWhenStartingARunningPod", () => {
    assert.equal(requestStart(pod(), "alice"), null);
    assert.equal(requestStart(pod({ status: "SPAWNING" }), "alice"), null);
  });

  it("startsAStoppedPodAfreshAndForgetsTheInstanceTimeToStop", () => {
    const t = requestStart(pod({ statusRequested: "OFF", status: "STOPPED" }), "alice")!;
    assert.equal(t.notifyCluster, true);
    assert.equal(t.changes.status, "REQUESTED");
    assert.equal(t.changes.statusRequested, "ON");
    assert.equal(t.changes.fields!.time_to_stop_instance, undefined);
    assert.match(t.action, /Start requested by alice/);
  });

  it("stopsOnceAndIgnoresARepeatedStop", () => {
    const t = requestStop(pod(), "alice")!;
    assert.equal(t.changes.statusRequested, "OFF");
    assert.equal(t.notifyCluster, true);
    assert.equal(requestStop(pod({ statusRequested: "OFF" }), "alice"), null);
  });

  it("marksARestartAsRestarting", () => {
    const t = requestRestart(pod(), "alice");
    assert.equal(t.changes.statusRequested, "RESTART");
    assert.equal(t.changes.status, "RESTARTING");
  });

  it("dropsObservationsOfAnOlderGenerationOrAnotherIncarnation", () => {
    assert.equal(applyObservation(pod(), seen({ generation: 2, status: "STOPPED" }), 60), null);
    assert.equal(applyObservation(pod(), seen({ uid: "uid-0", status: "STOPPED" }), 60), null);
  });

  it("recordsANewInstanceAndItsTimeToStop", () => {
    const t = applyObservation(pod({ status: "SPAWNING" }), seen({ instanceStartedAt: 5_000, event: "running" }), 60)!;
    assert.equal(t.changes.status, "AVAILABLE");
    assert.equal(t.changes.startInstanceTs, 5_000);
    assert.equal(t.changes.timeToStopTs, 65_000);
    assert.equal(t.notifyCluster, false);
    assert.match(t.action, /running Status changed to AVAILABLE/);
  });

  it("neverSchedulesAStopForMinusOne", () => {
    const t = applyObservation(pod({ status: "SPAWNING" }), seen({ instanceStartedAt: 5_000 }), -1)!;
    assert.equal(t.changes.timeToStopTs, null);
  });

  it("completesARestartOnceTheOldInstanceIsGone", () => {
    const t = applyObservation(pod({ statusRequested: "RESTART", status: "RESTARTING" }), seen({ status: "STOPPED" }), 60)!;
    assert.equal(t.changes.statusRequested, "ON");
    assert.equal(t.changes.status, "RESTARTING");
    assert.equal(t.notifyCluster, true);
  });

  it("changesNothingForARepeatedIdenticalObservation", () => {
    assert.equal(applyObservation(pod(), seen(), 60), null);
  });
});
