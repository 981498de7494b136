import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import type { KubernetesObject, V1Pod } from "@kubernetes/client-node";
import { DesiredPodSchema } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { PodStatus, StatusRequested } from "../../gen/tapis/pods/v1/pod_pb.js";
import type { PodReport } from "../../agent/drivers/cluster-driver.js";
import type { KubernetesClusterConfig } from "../../agent/drivers/kubernetes/cluster-config.js";
import type { KubernetesApi } from "../../agent/drivers/kubernetes/kubernetes-api.js";
import { KubernetesDriver } from "../../agent/drivers/kubernetes/kubernetes-driver.js";
import { buildPodObjects } from "../../agent/drivers/kubernetes/pod-objects.js";
import { createJsonLogger } from "../../shared/logging/logger.js";
import { ScriptedInformer } from "../support/scripted-informer.js";

const config: KubernetesClusterConfig = { namespace: "pods", queues: {}, storageClaim: "pods-storage", fieldManager: "test", imagePullPolicy: "IfNotPresent" };

const desired = create(DesiredPodSchema, {
  tenantId: "dev",
  siteId: "local",
  podId: "racer",
  uid: "0b9d7c1e-0000-4000-8000-000000000001",
  generation: 1n,
  statusRequested: StatusRequested.ON,
  objectName: "pods-local-dev-racer",
  image: "busybox:1",
  networking: { default: { protocol: "http", port: 5000 } },
});

function podIn(phase: "Pending" | "Running"): V1Pod {
  const pod = structuredClone(buildPodObjects(desired, config).pod);
  const running = phase === "Running";
  pod.status = {
    phase,
    containerStatuses: [{ name: "pod", image: desired.image, imageID: "", ready: running, restartCount: 0, state: running ? { running: { startedAt: new Date() } } : { waiting: { reason: "ContainerCreating" } } }],
  };
  return pod;
}

describe("what the kubernetes driver reports", () => {
  it("reportsTheNewestStateWhenThePodChangesWhileItsObjectsAreApplied", async () => {
    const informer = new ScriptedInformer();
    informer.pods = [podIn("Pending")];
    const reports: PodReport[] = [];
    const sink = { report: (report: PodReport) => reports.push(report), logs() {}, requeue() {}, health() {} };
    // The container starts while the driver applies the pod's Secret: the watch reports it at once.
    const api = {
      podInformer: () => informer,
      eventInformer: () => new ScriptedInformer(),
      objectInformer: () => new ScriptedInformer(),
      async apply<T extends KubernetesObject>(object: T): Promise<T> {
        if (object.kind === "Secret" && informer.pods[0]!.status!.phase === "Pending") {
          informer.pods = [podIn("Running")];
          informer.emit("update", informer.pods[0]);
        }
        return object;
      },
      async delete() {},
      close() {},
      async list() {
        return [];
      },
    } as unknown as KubernetesApi;
    const driver = new KubernetesDriver(api, config, sink, createJsonLogger({ level: "silent" }), { stopGraceSeconds: 0 });
    await driver.start();
    const outcome = await driver.apply(desired);
    await driver.close();
    assert.deepEqual(outcome, { kind: "done" });
    assert.equal(PodStatus[reports.at(-1)!.status], "AVAILABLE", `reports in order: ${reports.map((r) => PodStatus[r.status]).join(", ")}`);
  });
});
