import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import type { KubernetesObject } from "@kubernetes/client-node";
import { objectNameOf } from "../../control-plane/agents/desired-pod-builder.js";
import { DesiredPodSchema, type DesiredPod } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { StatusRequested } from "../../gen/tapis/pods/v1/pod_pb.js";
import type { KubernetesClusterConfig } from "../../agent/drivers/kubernetes/cluster-config.js";
import { buildPodObjects } from "../../agent/drivers/kubernetes/pod-objects.js";

const config: KubernetesClusterConfig = { namespace: "pods", queues: {}, storageClaim: "pods-storage", fieldManager: "test", imagePullPolicy: "IfNotPresent" };

// The limits the API server enforces (k8s.io/apimachinery/pkg/util/validation).
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const longSite = "tacc-frontera-production-site-in-the-machine-room-of-the-center1";
const longTenant = "research-computing-tenant-of-a-university-with-a-very-long-name1";
const longPodId = "a" + "b".repeat(59) + "c123";

function desiredPod(siteId: string, tenantId: string, podId: string, objectName = objectNameOf(siteId, tenantId, podId)): DesiredPod {
  return create(DesiredPodSchema, {
    tenantId,
    siteId,
    podId,
    uid: "0b9d7c1e-0000-4000-8000-000000000000",
    generation: 1n,
    statusRequested: StatusRequested.ON,
    objectName,
    image: "busybox:1",
    networking: { default: { protocol: "http", port: 5000 } },
    volumeMounts: { "/etc/app.ini": { type: "ephemeral", configContent: "a=1" } },
  });
}

function everyObject(desired: DesiredPod): KubernetesObject[] {
  const objects = buildPodObjects(desired, config);
  return [objects.pod, objects.secret, objects.service!, objects.configMap!];
}

function assertWithinLimits(desired: DesiredPod): void {
  const objects = buildPodObjects(desired, config);
  const service = objects.service!.metadata!.name!;
  assert.ok(service.length <= 63 && dns1035Label.test(service), `Service name ${service} must be a DNS-1035 label`);
  // The Pod's name is its hostname too, so it keeps to 63 like the Service's.
  const pod = objects.pod.metadata!.name!;
  assert.ok(pod.length <= 63 && dns1123Subdomain.test(pod), `Pod name ${pod} must be a hostname`);
  for (const object of everyObject(desired)) {
    const name = object.metadata!.name!;
    assert.ok(name.length <= 253 && dns1123Subdomain.test(name), `${object.kind} name ${name} must be a DNS-1123 subdomain`);
    for (const [key, value] of Object.entries(object.metadata!.labels!)) {
      assert.ok(value.length <= 63 && labelValue.test(value), `label ${key}=${value} of the ${object.kind} must be a valid label value`);
    }
  }
  const spec = objects.pod.spec!;
  assert.equal(spec.containers[0]!.volumeMounts![0]!.name, spec.volumes![0]!.name);
  assert.equal(spec.volumes![0]!.configMap!.name, objects.configMap!.metadata!.name, "the Pod mounts the ConfigMap by its fitted name");
}

describe("kubernetes names of a pod's objects", () => {
  it("keepsTheNamesAndLabelsOfShortIdsAsTheyWere", () => {
    const desired = desiredPod("local", "dev", "docpod");
    assert.equal(desired.objectName, "pods-local-dev-docpod");
    const objects = buildPodObjects(desired, config);
    assert.equal(objects.pod.metadata!.name, "pods-local-dev-docpod");
    assert.equal(objects.secret.metadata!.name, "pods-local-dev-docpod");
    assert.equal(objects.service!.metadata!.name, "pods-local-dev-docpod");
    assert.equal(objects.configMap!.metadata!.name, "pods-local-dev-docpod-config");
    assert.deepEqual(
      { tenant: objects.pod.metadata!.labels!["pods.tapis.io/tenant"], pod: objects.pod.metadata!.labels!["pods.tapis.io/pod-id"], site: objects.pod.metadata!.labels!["pods.tapis.io/site"] },
      { tenant: "dev", pod: "docpod", site: "local" },
    );
  });

  it("fitsEveryNameAndLabelOfA64CharacterPodIdOfALongTenantAndSite", () => {
    assert.equal(longPodId.length, 64);
    assert.equal(longTenant.length, 64);
    assertWithinLimits(desiredPod(longSite, longTenant, longPodId));
  });

  it("keepsTheFullIdsInAnnotations", () => {
    for (const object of everyObject(desiredPod(longSite, longTenant, longPodId))) {
      assert.equal(object.metadata!.annotations?.["pods.tapis.io/tenant"], longTenant, `${object.kind} annotation`);
      assert.equal(object.metadata!.annotations?.["pods.tapis.io/pod-id"], longPodId, `${object.kind} annotation`);
      assert.equal(object.metadata!.annotations?.["pods.tapis.io/site"], longSite, `${object.kind} annotation`);
    }
  });

  it("givesTheSameIdsTheSameNamesEveryTime", () => {
    // A changed hash would orphan every long-named object already in a cluster.
    assert.equal(objectNameOf(longSite, longTenant, longPodId), "pods-tacc-frontera-production-site-in-the-machine-ro-5df8520316");
    const first = buildPodObjects(desiredPod(longSite, longTenant, longPodId), config);
    const later = buildPodObjects(create(DesiredPodSchema, { ...desiredPod(longSite, longTenant, longPodId), generation: 9n, uid: "other" }), config);
    assert.equal(later.service!.metadata!.name, first.service!.metadata!.name);
    assert.equal(later.configMap!.metadata!.name, first.configMap!.metadata!.name);
    assert.deepEqual(
      [later.pod.metadata!.labels!["pods.tapis.io/tenant"], later.pod.metadata!.labels!["pods.tapis.io/pod-id"]],
      [first.pod.metadata!.labels!["pods.tapis.io/tenant"], first.pod.metadata!.labels!["pods.tapis.io/pod-id"]],
    );
  });

  it("keepsTwoPodIdsSharingA60CharacterPrefixApart", () => {
    const prefix = "p" + "q".repeat(59);
    const one = buildPodObjects(desiredPod("local", "dev", `${prefix}aaaa`), config);
    const two = buildPodObjects(desiredPod("local", "dev", `${prefix}aaab`), config);
    assert.notEqual(one.pod.metadata!.name, two.pod.metadata!.name);
    assert.notEqual(one.service!.metadata!.name, two.service!.metadata!.name);
    assert.notEqual(one.pod.metadata!.labels!["pods.tapis.io/pod-id"], two.pod.metadata!.labels!["pods.tapis.io/pod-id"]);
    assert.notEqual(
      objectNameOf(longSite, `${prefix}xxxx`, "docpod"),
      objectNameOf(longSite, `${prefix}xxxy`, "docpod"),
      "long tenants sharing a prefix get different names",
    );
  });

  it("keepsTenantsApartWhoseIdsDifferOnlyInCharactersNamesCannotHold", () => {
    const names = ["a_b", "a.b", "A-b", "a-b"].map((tenant) => objectNameOf("local", tenant, "docpod"));
    assert.equal(new Set(names).size, 4, names.join(", "));
    for (const tenant of ["a_b", "a.b", "A-b", "ünïcode tenant/with spaces"]) assertWithinLimits(desiredPod("local", tenant, "docpod"));
  });

  it("fitsNamesEvenWhenTheControlPlaneSendsAnOverlongName", () => {
    // An agent newer than its control plane still gets the unfitted pods-<site>-<tenant>-<pod_id>.
    assertWithinLimits(desiredPod(longSite, longTenant, longPodId, `pods-${longSite}-${longTenant}-${longPodId}`));
  });
});
