import assert from "node:assert/strict";
import type { CoreV1Api, V1Pod } from "@kubernetes/client-node";
import { createScratchNamespace, type ScratchNamespace } from "../support/scratch-namespace.js";
import { startTestService, type TestService } from "../support/test-service.js";
import { eventually } from "../support/eventually.js";

/**
 * secret_map against a real API server: the resolved values live only in the
 * pod's Secret, environment variables and mounted files reference them, and
 * the Secret goes with the pod.
 */
describe("kubernetes secrets: a pod's secret_map on a real API server", function () {
  this.timeout(120_000);
  const kubeconfig = process.env.PODS_TEST_KUBECONFIG;
  const dbPassword = "kube-db-password-4e1d";
  let scratch: ScratchNamespace | undefined;
  let namespace: string;
  let core: CoreV1Api;
  let svc: TestService;
  let jwt: string;

  before(async () => {
    assert.ok(kubeconfig, "PODS_TEST_KUBECONFIG must name the test cluster's kubeconfig (npm run test:infra sets it)");
    scratch = await createScratchNamespace(kubeconfig, "pods-secrets");
    ({ name: namespace, core } = scratch);
    svc = await startTestService({ PODS_KUBECONFIG: kubeconfig, PODS_K8S_NAMESPACE: namespace, PODS_K8S_STOP_GRACE_SECONDS: "0" });
    jwt = await svc.token("alice");
    assert.equal((await svc.api("POST", "/v3/pods/secrets", { token: jwt, body: { secret_id: "my_db_password", secret_value: dbPassword } })).status, 200);
  });
  after(async () => {
    await svc?.stop();
    await scratch?.remove();
  });

  const name = "pods-local-dev-apipod";

  it("keepsTheResolvedValuesInThePodsSecretAndReferencesThemFromTheContainer", async () => {
    const created = await svc.api("POST", "/v3/pods", {
      token: jwt,
      body: {
        pod_id: "apipod",
        image: "busybox:1",
        command: ["sleep", "3600"],
        secret_map: { DB_PASS: "${secret:my_db_password}", DB_PORT: "${pods:default:5432}" },
        environment_variables: { DATABASE_PASSWORD: "${pods:secrets:DB_PASS}", PLAIN: "visible" },
        volume_mounts: { "/etc/app/config.ini": { type: "ephemeral", config_content: "[database]\nport=${pods:secrets:DB_PORT}\npassword=${pods:secrets:DB_PASS}\n" } },
      },
    });
    assert.equal(created.status, 200, created.body.message);
    await svc.waitForStatus(jwt, "apipod", "AVAILABLE", 60_000);

    const secret = await core.readNamespacedSecret({ name, namespace });
    const data = Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, "base64").toString()]));
    assert.equal(data.DATABASE_PASSWORD, dbPassword);
    const fileKey = Object.keys(data).find((key) => key.endsWith("config.ini"))!;
    assert.equal(data[fileKey], `[database]\nport=5432\npassword=${dbPassword}\n`);

    const pod: V1Pod = JSON.parse(JSON.stringify(await core.readNamespacedPod({ name, namespace })));
    const container = pod.spec!.containers[0]!;
    assert.deepEqual(container.env!.find((e) => e.name === "DATABASE_PASSWORD")!.valueFrom, { secretKeyRef: { name, key: "DATABASE_PASSWORD" } });
    assert.equal(container.env!.find((e) => e.name === "PLAIN")!.value, "visible");
    const volume = pod.spec!.volumes!.find((v) => v.secret)!;
    assert.deepEqual(volume.secret!.items, [{ key: fileKey, path: "config.ini" }]);
    assert.equal(volume.secret!.secretName, name);
    assert.ok(!JSON.stringify(pod).includes(dbPassword), "no value in the pod spec");
    const configMaps = await core.listNamespacedConfigMap({ namespace, labelSelector: "pods.tapis.io/pod-id=apipod" });
    assert.ok(!JSON.stringify(configMaps.items).includes(dbPassword), "no value in a ConfigMap");
  });

  it("removesTheSecretWithThePod", async () => {
    assert.equal((await svc.api("DELETE", "/v3/pods/apipod", { token: jwt })).status, 200);
    await eventually("the pod's Secret gone", async () => (await core.listNamespacedSecret({ namespace, labelSelector: "pods.tapis.io/pod-id=apipod" })).items.length === 0, 60_000);
  });
});
