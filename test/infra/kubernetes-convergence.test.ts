import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CoreV1Api } from "@kubernetes/client-node";
import { startChildService, type ChildService } from "../support/child-service.js";
import { createScratchNamespace, type ScratchNamespace } from "../support/scratch-namespace.js";
import { startTestService, type TestService } from "../support/test-service.js";
import { eventually } from "../support/eventually.js";
import { freePort } from "../support/processes.js";

describe("kubernetes agent converges after crashes and drift", function () {
  this.timeout(120_000);
  const kubeconfig = process.env.PODS_TEST_KUBECONFIG!;
  let scratch: ScratchNamespace | undefined;
  let namespace: string;
  let core: CoreV1Api;

  before(async () => {
    assert.ok(kubeconfig, "PODS_TEST_KUBECONFIG must name the test cluster's kubeconfig");
    scratch = await createScratchNamespace(kubeconfig, "pods-conv");
    ({ name: namespace, core } = scratch);
  });
  after(() => scratch?.remove());

  const podsLabelled = async (podId: string) => (await core.listNamespacedPod({ namespace, labelSelector: `pods.tapis.io/pod-id=${podId}` })).items;

  it("endsWithExactlyOnePodWhenTheAgentIsKilledMidCreate", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "pods-k8s-crash-"));
    await writeFile(join(dataDir, "users.json"), JSON.stringify({ alice: "pw" }));
    const env = {
      PODS_DATA_DIR: dataDir,
      PODS_DEV_USERS: join(dataDir, "users.json"),
      // The restarted service answers at the same URL, so its tokens (which name it as issuer) stay valid.
      PODS_HTTP_PORT: String(await freePort()),
      PODS_GRPC_PORT: "0",
      PODS_KUBECONFIG: kubeconfig,
      PODS_K8S_NAMESPACE: namespace,
      PODS_K8S_STOP_GRACE_SECONDS: "0",
    };
    let child: ChildService | undefined = await startChildService(env);
    try {
      const login = await child.api("POST", "/v3/oauth2/tokens", { body: { username: "alice", password: "pw", grant_type: "password" } });
      const token = login.body.result.access_token.access_token as string;
      await child.api("POST", "/v3/pods", { token, body: { pod_id: "survivor", template: "postgres" } });
      // Kill as soon as the Kubernetes Pod appears: the agent is in the middle of creating it.
      await eventually("the pod to be created", async () => (await podsLabelled("survivor")).length > 0, 20_000);
      await child.kill();
      child = await startChildService(env);
      const restarted = child;
      await eventually("AVAILABLE after the restart", async () => (await restarted.api("GET", "/v3/pods/survivor", { token })).body.result?.status === "AVAILABLE");
      const pods = await podsLabelled("survivor");
      assert.equal(pods.length, 1);
      assert.equal(pods[0]!.status?.phase, "Running");
    } finally {
      await child?.kill();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("replacesTheObjectsOfALongPodIdLeftUnderTheEarlierNaming", async () => {
    // 60 characters: its label fits, but pods-local-dev-<id> (75) is too long for a Service, so
    // earlier agents left a Secret and a ConfigMap under that name and never got further.
    const podId = "x" + "y".repeat(59);
    const earlierName = `pods-local-dev-${podId}`;
    const labels = { "app.kubernetes.io/managed-by": "tapis-pods", "pods.tapis.io/tenant": "dev", "pods.tapis.io/pod-id": podId, "pods.tapis.io/site": "local" };
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: earlierName, labels }, stringData: { A: "b" } } });
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: `${earlierName}-config`, labels }, data: { a: "b" } } });
    let svc: TestService | undefined;
    try {
      svc = await startTestService({ PODS_KUBECONFIG: kubeconfig, PODS_K8S_NAMESPACE: namespace, PODS_K8S_STOP_GRACE_SECONDS: "0" });
      const token = await svc.token("alice");
      const created = await svc.api("POST", "/v3/pods", { token, body: { pod_id: podId, image: "busybox:1" } });
      assert.equal(created.status, 200, created.body.message);
      await svc.waitForStatus(token, podId, "AVAILABLE", 60_000);
      const selector = `pods.tapis.io/pod-id=${podId}`;
      await eventually("only objects named within the limits left", async () => {
        const [pods, secrets, services, maps] = await Promise.all([
          core.listNamespacedPod({ namespace, labelSelector: selector }),
          core.listNamespacedSecret({ namespace, labelSelector: selector }),
          core.listNamespacedService({ namespace, labelSelector: selector }),
          core.listNamespacedConfigMap({ namespace, labelSelector: selector }),
        ]);
        const names = [pods, secrets, services, maps].map((list) => list.items.map((item) => item.metadata!.name!));
        return names.flat().every((name) => name.length <= 63) && names.map((kind) => kind.length).join() === "1,1,1,0";
      });
    } finally {
      await svc?.stop();
    }
  });
});
