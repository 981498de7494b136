import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { DesiredPodSchema } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { StatusRequested } from "../../gen/tapis/pods/v1/pod_pb.js";
import type { KubernetesClusterConfig } from "../../agent/drivers/kubernetes/cluster-config.js";
import { buildPodObjects } from "../../agent/drivers/kubernetes/pod-objects.js";

const config: KubernetesClusterConfig = { namespace: "pods", queues: {}, storageClaim: "pods-storage", fieldManager: "test", imagePullPolicy: "IfNotPresent" };

/** Mount contents that hold secret values live in the pod's Secret, never in its ConfigMap. */
describe("kubernetes objects of a pod whose mounts hold secrets", () => {
  const desired = create(DesiredPodSchema, {
    tenantId: "dev",
    siteId: "local",
    podId: "configpod",
    uid: "1",
    generation: 1n,
    statusRequested: StatusRequested.ON,
    objectName: "pods-local-dev-configpod",
    image: "myapp:latest",
    secretEnvironment: { DB_PASS: "pw-123" },
    volumeMounts: {
      "/etc/app/config.ini": { type: "ephemeral", configPermissions: "0600" },
      "/etc/app/plain.conf": { type: "ephemeral", configContent: "plain=1" },
    },
    secretFiles: { "/etc/app/config.ini": "[database]\nport=5432\npassword=pw-123\n" },
  });
  const objects = buildPodObjects(desired, config);

  it("keepsTheSecretContentInTheSecretAndMountsItFromThere", () => {
    const secretKeys = Object.keys(objects.secret.stringData!).filter((key) => key !== "DB_PASS");
    assert.equal(secretKeys.length, 1);
    assert.equal(objects.secret.stringData![secretKeys[0]!], "[database]\nport=5432\npassword=pw-123\n");
    const volumes = objects.pod.spec!.volumes!;
    const fromSecret = volumes.find((v) => v.secret)!;
    assert.deepEqual(fromSecret.secret, { secretName: "pods-local-dev-configpod", items: [{ key: secretKeys[0], path: "config.ini" }], defaultMode: 0o600 });
    const mount = objects.pod.spec!.containers[0]!.volumeMounts!.find((m) => m.mountPath === "/etc/app/config.ini")!;
    assert.deepEqual(mount, { name: fromSecret.name, mountPath: "/etc/app/config.ini", subPath: "config.ini", readOnly: true });
  });

  it("keepsOnlyContentWithoutSecretsInTheConfigMap", () => {
    assert.deepEqual(Object.values(objects.configMap!.data!), ["plain=1"]);
    assert.ok(!JSON.stringify(objects.configMap).includes("pw-123"));
    assert.ok(!JSON.stringify(objects.pod).includes("pw-123"));
  });

  it("needsNoConfigMapWhenEveryContentHoldsSecrets", () => {
    const onlySecret = buildPodObjects(create(DesiredPodSchema, { ...desired, volumeMounts: { "/etc/app/config.ini": desired.volumeMounts["/etc/app/config.ini"]! } }), config);
    assert.equal(onlySecret.configMap, null);
  });
});
