import assert from "node:assert/strict";
import { keyString, type PodKey } from "../../agent/drivers/cluster-driver.js";
import type { KubernetesClusterConfig } from "../../agent/drivers/kubernetes/cluster-config.js";
import type { KubernetesApi } from "../../agent/drivers/kubernetes/kubernetes-api.js";
import { KubernetesDriver } from "../../agent/drivers/kubernetes/kubernetes-driver.js";
import { watchRetryDelayMs } from "../../agent/drivers/kubernetes/pod-watch.js";
import { createJsonLogger } from "../../shared/logging/logger.js";
import { eventually } from "../support/eventually.js";
import { ScriptedInformer } from "../support/scripted-informer.js";

const config: KubernetesClusterConfig = { namespace: "pods", queues: {}, storageClaim: "pods-storage", fieldManager: "test", imagePullPolicy: "IfNotPresent" };

function startDriver(informer: ScriptedInformer) {
  const health: [string, string | null][] = [];
  const requeued: string[] = [];
  const sink = {
    report() {},
    logs() {},
    requeue: (key: PodKey) => requeued.push(keyString(key)),
    health: (part: string, problem: string | null) => health.push([part, problem]),
  };
  // The events watch starts and stays up; these tests are about the pod watch.
  const api = { podInformer: () => informer, eventInformer: () => new ScriptedInformer(), objectInformer: () => new ScriptedInformer(), close() {} } as unknown as KubernetesApi;
  const options = { stopGraceSeconds: 0, watchRetry: { firstMs: 1, maxMs: 8 } };
  const driver = new KubernetesDriver(api, config, sink, createJsonLogger({ level: "silent" }), options);
  return { driver, health, requeued };
}

describe("kubernetes pod watch", () => {
  it("restartsTheWatchUntilItIsBackAndReportsItDownMeanwhile", async () => {
    const informer = new ScriptedInformer();
    const { driver, health } = startDriver(informer);
    await driver.start();
    informer.script.push("error", "reject", "error", "ok");
    informer.emit("error", new Error("the watch connection closed"));
    await eventually("the watch to be back", async () => health.at(-1)?.[1] === null && informer.starts === 5, 5_000);
    await driver.close();

    const problems = health.map(([, problem]) => problem);
    assert.match(problems[0]!, /^kubernetes pod watch down since \d{4}-\d\d-\d\dT[\d:.]+Z: .*the watch connection closed/);
    assert.match(problems.at(-2)!, /down since .*: .*ECONNREFUSED \(start 4\)/, "the latest failure is named");
    const since = (problem: string | null) => /since (\S+):/.exec(problem ?? "")?.[1];
    assert.equal(new Set(problems.slice(0, -1).map(since)).size, 1, "down since the first failure, however many retries failed");
    assert.deepEqual(new Set(health.map(([part]) => part)), new Set(["kubernetes pod watch"]));
  });

  it("requeuesEveryManagedPodOnceTheWatchIsBack", async () => {
    const informer = new ScriptedInformer();
    informer.pods = [
      { metadata: { name: "pods-local-dev-a", annotations: { "pods.tapis.io/tenant": "dev", "pods.tapis.io/pod-id": "a" } } },
      // Made by an earlier agent: labels only.
      { metadata: { name: "pods-local-dev-b", labels: { "pods.tapis.io/tenant": "dev", "pods.tapis.io/pod-id": "b" } } },
    ];
    const { driver, requeued, health } = startDriver(informer);
    await driver.start();
    assert.deepEqual(requeued, []);
    informer.script.push("reject", "ok");
    informer.emit("error", new Error("the watch connection closed"));
    await eventually("the watch to be back", async () => health.at(-1)?.[1] === null, 5_000);
    await driver.close();
    assert.deepEqual(requeued.sort(), ["dev/a", "dev/b"]);
  });

  it("backsOffExponentiallyUpToItsCap", () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 50].map((failures) => watchRetryDelayMs(failures, { firstMs: 1_000, maxMs: 30_000 }));
    assert.deepEqual(delays, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });
});
