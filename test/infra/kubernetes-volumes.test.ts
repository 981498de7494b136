import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import type { CoreV1Api, V1Pod } from "@kubernetes/client-node";
import { createScratchNamespace, type ScratchNamespace } from "../support/scratch-namespace.js";
import { startTestService, type TestService } from "../support/test-service.js";
import { eventually } from "../support/eventually.js";
import { rawRequest, uploadFile, waitForStorageStatus } from "../support/volume-files.js";

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/**
 * Volumes and snapshots with the kubernetes driver against a real API
 * server (scripts/infra/kubernetes.sh). The agent holds the cluster's
 * storage (here a local folder standing in for the storage claim mounted
 * into it); pods mount their volumes and snapshots as subPaths of that claim.
 */
describe("volumes and snapshots on a real Kubernetes API server", function () {
  this.timeout(120_000);
  const kubeconfig = process.env.PODS_TEST_KUBECONFIG;
  const claim = "pods-storage";
  let scratch: ScratchNamespace | undefined;
  let namespace: string;
  let core: CoreV1Api;
  let svc: TestService;
  let jwt: string;
  let persistentVolume: string;

  before(async () => {
    assert.ok(kubeconfig, "PODS_TEST_KUBECONFIG must name the test cluster's kubeconfig (npm run test:infra sets it)");
    scratch = await createScratchNamespace(kubeconfig, "pods-volumes");
    ({ name: namespace, core } = scratch);
    // The storage claim, bound to a volume of its own, as an installation provides it.
    persistentVolume = `${namespace}-storage`;
    await core.createPersistentVolume({
      body: {
        metadata: { name: persistentVolume },
        spec: {
          capacity: { storage: "10Gi" },
          accessModes: ["ReadWriteMany"],
          hostPath: { path: `/tmp/${persistentVolume}` },
          storageClassName: "",
          claimRef: { namespace, name: claim },
        },
      },
    });
    await core.createNamespacedPersistentVolumeClaim({
      namespace,
      body: { metadata: { name: claim }, spec: { accessModes: ["ReadWriteMany"], storageClassName: "", volumeName: persistentVolume, resources: { requests: { storage: "10Gi" } } } },
    });
    svc = await startTestService({ PODS_KUBECONFIG: kubeconfig, PODS_K8S_NAMESPACE: namespace, PODS_K8S_STOP_GRACE_SECONDS: "0", PODS_K8S_STORAGE_CLAIM: claim });
    jwt = await svc.token("alice");
  });
  after(async () => {
    await svc?.stop();
    await scratch?.remove();
    await scratch?.core.deletePersistentVolume({ name: persistentVolume }).catch(() => undefined);
  });

  it("roundTripsAFileByteIdenticalThroughTheGatewayControlPlaneAndAgent", async () => {
    assert.equal((await svc.api("POST", "/v3/pods/volumes", { token: jwt, body: { volume_id: "kubevol" } })).status, 200);
    await waitForStorageStatus(svc.api, jwt, "/v3/pods/volumes/kubevol", "AVAILABLE");
    const content = randomBytes(5 * 1024 * 1024 + 11);
    const uploaded = await uploadFile(svc.baseUrl, jwt, "/v3/pods/volumes/kubevol/upload/data/blob.bin", content);
    assert.equal(uploaded.status, 200, uploaded.json?.message);
    const listed = (await svc.api("GET", "/v3/pods/volumes/kubevol/list", { token: jwt })).body.result as { path: string; size: number }[];
    assert.equal(listed.find((f) => f.path === "data/blob.bin")?.size, content.length);
    const downloaded = await rawRequest(svc.baseUrl, "GET", "/v3/pods/volumes/kubevol/contents/data/blob.bin", { token: jwt });
    assert.equal(downloaded.status, 200);
    assert.equal(sha256(downloaded.body), sha256(content));
  });

  it("mountsAVolumeAndASnapshotAsSubPathsOfTheStorageClaimTheSnapshotReadOnly", async () => {
    const snapshot = await svc.api("POST", "/v3/pods/snapshots", { token: jwt, body: { snapshot_id: "kubesnap", source_volume_id: "kubevol", source_volume_path: "/data" } });
    assert.equal(snapshot.status, 200, snapshot.body.message);
    await waitForStorageStatus(svc.api, jwt, "/v3/pods/snapshots/kubesnap", "AVAILABLE");
    const created = await svc.api("POST", "/v3/pods", {
      token: jwt,
      body: {
        pod_id: "mounter",
        image: "busybox",
        volume_mounts: {
          "/mnt/data": { type: "tapisvolume", source_id: "kubevol", sub_path: "data" },
          "/mnt/backup": { type: "tapissnapshot", source_id: "kubesnap", sub_path: "/data" },
        },
      },
    });
    assert.equal(created.status, 200, created.body.message);
    await svc.waitForStatus(jwt, "mounter", "AVAILABLE", 60_000);
    const pod: V1Pod = JSON.parse(JSON.stringify(await core.readNamespacedPod({ name: "pods-local-dev-mounter", namespace })));
    assert.deepEqual(pod.spec!.volumes, [{ name: "claim-0", persistentVolumeClaim: { claimName: claim } }]);
    // The API server leaves out readOnly when false.
    const mounts = pod.spec!.containers[0]!.volumeMounts!.map(({ name, mountPath, subPath, readOnly }) => ({ name, mountPath, subPath, readOnly: readOnly ?? false }));
    assert.deepEqual(mounts, [
      { name: "claim-0", mountPath: "/mnt/backup", subPath: "snapshots/dev/kubesnap/data", readOnly: true },
      { name: "claim-0", mountPath: "/mnt/data", subPath: "volumes/dev/kubevol/data", readOnly: false },
    ]);
  });

  it("refusesToDeleteTheVolumeWhileThePodRunsAndDeletesItOnceStopped", async () => {
    const refused = await svc.api("DELETE", "/v3/pods/volumes/kubevol", { token: jwt });
    assert.equal(refused.status, 409, refused.body.message);
    await svc.api("GET", "/v3/pods/mounter/stop", { token: jwt });
    await svc.waitForStatus(jwt, "mounter", "STOPPED", 60_000);
    await eventually("the Kubernetes pod gone", async () => (await core.listNamespacedPod({ namespace })).items.length === 0);
    assert.equal((await svc.api("DELETE", "/v3/pods/volumes/kubevol", { token: jwt })).status, 200);
  });
});
