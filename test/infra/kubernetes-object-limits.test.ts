import assert from "node:assert/strict";
import type { CoreV1Api, KubernetesObject } from "@kubernetes/client-node";
import { createScratchNamespace, type ScratchNamespace } from "../support/scratch-namespace.js";
import { startTestService, type TestService } from "../support/test-service.js";
import { eventually } from "../support/eventually.js";

/**
 * Ids as long as the API allows, and objects the API server refuses for good,
 * against a real API server (scripts/infra/kubernetes.sh).
 */
describe("kubernetes objects of long ids and objects the API server refuses", function () {
  this.timeout(180_000);
  const kubeconfig = process.env.PODS_TEST_KUBECONFIG;
  // As long as the pod record allows (64 characters each).
  const tenant = "research-computing-tenant-of-a-university-with-a-very-long-name1";
  const site = "tacc-frontera-production-site-in-the-machine-room-of-the-center1";
  let scratch: ScratchNamespace | undefined;
  let namespace: string;
  let core: CoreV1Api;
  let svc: TestService | undefined;
  let jwt: string;

  before(async () => {
    assert.ok(kubeconfig, "PODS_TEST_KUBECONFIG must name the test cluster's kubeconfig (npm run test:infra sets it)");
    scratch = await createScratchNamespace(kubeconfig, "pods-limits");
    ({ name: namespace, core } = scratch);
    svc = await startTestService(
      {
        PODS_KUBECONFIG: kubeconfig,
        PODS_K8S_NAMESPACE: namespace,
        PODS_K8S_STOP_GRACE_SECONDS: "0",
        PODS_DEV_TENANT: tenant,
        PODS_SITE_ID: site,
        // Every second the agent is asked about every pod again: a refused pod must still not be retried.
        PODS_AGENT_RESYNC_SECONDS: "1",
      },
      { logLevel: "debug" },
    );
    jwt = await svc.token("alice");
  });
  after(async () => {
    await svc?.stop();
    await scratch?.remove();
  });

  /** Every managed object in the namespace whose annotation names `podId`. */
  const objectsOf = async (podId: string): Promise<KubernetesObject[]> => {
    const labelSelector = "app.kubernetes.io/managed-by=tapis-pods";
    const lists = await Promise.all([
      core.listNamespacedPod({ namespace, labelSelector }),
      core.listNamespacedSecret({ namespace, labelSelector }),
      core.listNamespacedService({ namespace, labelSelector }),
      core.listNamespacedConfigMap({ namespace, labelSelector }),
    ]);
    const kinds = ["Pod", "Secret", "Service", "ConfigMap"];
    return lists.flatMap((list, index) => list.items.map((item) => ({ ...item, kind: kinds[index] }) as KubernetesObject));
  };
  const annotatedWith = async (podId: string) => (await objectsOf(podId)).filter((o) => o.metadata?.annotations?.["pods.tapis.io/pod-id"] === podId);

  it("runsA64CharacterPodIdOfALongTenantAndKeepsTheFullIdsInAnnotations", async () => {
    const podId = "a" + "b".repeat(59) + "c123";
    const created = await svc!.api("POST", "/v3/pods", { token: jwt, body: { pod_id: podId, image: "busybox:1" } });
    assert.equal(created.status, 200, created.body.message);
    await svc!.waitForStatus(jwt, podId, "AVAILABLE", 60_000);

    const objects = await annotatedWith(podId);
    assert.deepEqual(objects.map((o) => o.kind).sort(), ["Pod", "Secret", "Service"]);
    for (const object of objects) {
      assert.equal(object.metadata!.annotations!["pods.tapis.io/tenant"], tenant, `${object.kind} names the tenant in full`);
      assert.equal(object.metadata!.annotations!["pods.tapis.io/site"], site, `${object.kind} names the site in full`);
      assert.ok(object.metadata!.name!.length <= 63, `${object.kind} name ${object.metadata!.name}`);
    }

    await svc!.api("DELETE", `/v3/pods/${podId}`, { token: jwt });
    await eventually("every object of the pod removed", async () => (await annotatedWith(podId)).length === 0, 60_000);
  });

  it("putsAPodWhoseConfigMapTheApiServerRefusesInErrorWithTheReasonOnceAndDoesNotRetryIt", async () => {
    // Each file passes the service's own limit (1 MB); together they exceed what a ConfigMap may hold (1 MiB).
    const content = "x".repeat(600_000);
    const created = await svc!.api("POST", "/v3/pods", {
      token: jwt,
      body: {
        pod_id: "toobig",
        image: "busybox:1",
        volume_mounts: { "/etc/one.txt": { type: "ephemeral", config_content: content }, "/etc/two.txt": { type: "ephemeral", config_content: content } },
      },
    });
    assert.equal(created.status, 200, created.body.message);
    await svc!.waitForStatus(jwt, "toobig", "ERROR", 60_000);

    const key = `${tenant}/toobig`;
    const about = (message: string) => svc!.logLines().filter((line) => line.msg === message && line.pod === key);
    // Resyncs bring the pod back to the agent every second; the refused generation is left alone.
    await eventually("two resyncs passing over the refused pod", async () => about("pod unchanged since Kubernetes refused it; not retried").length >= 2, 30_000);

    const answer = await svc!.api("GET", "/v3/pods/toobig/logs", { token: jwt });
    const refusals = (answer.body.result.action_logs as string[]).filter((line) => /Kubernetes refused the ConfigMap/.test(line));
    assert.equal(refusals.length, 1, JSON.stringify(answer.body.result.action_logs));
    assert.match(refusals[0]!, /Too long: may not be more than 1048576 bytes/);
    assert.equal((await svc!.api("GET", "/v3/pods/toobig", { token: jwt })).body.result.status, "ERROR");
    assert.equal(about("pod sync failed; will retry").length, 0, "a refusal is not retried as a failure");

    // Fixed and started again (a new generation), the pod is tried again.
    const small = { "/etc/one.txt": { type: "ephemeral", config_content: "a=1" }, "/etc/two.txt": { type: "ephemeral", config_content: "b=2" } };
    const updated = await svc!.api("PUT", "/v3/pods/toobig", { token: jwt, body: { volume_mounts: small } });
    assert.equal(updated.status, 200, updated.body.message);
    assert.equal((await svc!.api("GET", "/v3/pods/toobig/start", { token: jwt })).status, 200);
    await svc!.waitForStatus(jwt, "toobig", "AVAILABLE", 60_000);
  });
});
