import assert from "node:assert/strict";
import type { KubernetesObject, V1Secret, V1Service } from "@kubernetes/client-node";
import { drifted } from "../../agent/drivers/kubernetes/object-drift.js";

const metadata = { name: "pods-local-dev-x", labels: { "pods.tapis.io/generation": "2" }, annotations: { "pods.tapis.io/pod-id": "x" } };
const secret: V1Secret = { apiVersion: "v1", kind: "Secret", metadata, type: "Opaque", stringData: { PASSWORD: "s3cret" } };
/** As the API server holds it: data in base64, fields of its own added. */
const heldSecret = (): V1Secret => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { ...metadata, labels: { ...metadata.labels, extra: "theirs" }, resourceVersion: "7", uid: "u" },
  type: "Opaque",
  data: { PASSWORD: Buffer.from("s3cret").toString("base64") },
});
const service: V1Service = { apiVersion: "v1", kind: "Service", metadata, spec: { type: "ClusterIP", selector: { a: "b" }, ports: [{ name: "http", port: 80, targetPort: 80, protocol: "TCP" }] } };
const heldService = (): V1Service => ({ ...service, spec: { ...service.spec, clusterIP: "10.0.0.9", ports: [{ name: "http", port: 80, targetPort: 80, protocol: "TCP" }], sessionAffinity: "None" } });

describe("whether a cluster's object differs from what the agent would apply", () => {
  it("seesNoDriftInWhatTheApiServerAddsOrHowItStoresSecretData", () => {
    assert.equal(drifted(secret, heldSecret()), false);
    assert.equal(drifted(service, heldService()), false);
  });

  it("seesDriftInAMissingOrDeletingObject", () => {
    assert.equal(drifted(secret, undefined), true);
    assert.equal(drifted(secret, { ...heldSecret(), metadata: { ...heldSecret().metadata, deletionTimestamp: new Date() } }), true);
  });

  it("seesDriftInALabelOrAnnotationTheAgentSets", () => {
    const held = heldSecret();
    held.metadata!.labels!["pods.tapis.io/generation"] = "1";
    assert.equal(drifted(secret, held), true);
    const unannotated = heldSecret();
    unannotated.metadata!.annotations = {};
    assert.equal(drifted(secret, unannotated), true);
  });

  it("seesDriftInSecretDataChangedAddedOrLeftOver", () => {
    const changed = heldSecret();
    changed.data!.PASSWORD = Buffer.from("other").toString("base64");
    const added = heldSecret();
    added.data!.MORE = "eA==";
    const emptied = heldSecret();
    emptied.data = {};
    for (const held of [changed, added, emptied]) assert.equal(drifted(secret, held), true, JSON.stringify(held.data));
  });

  it("seesDriftInAServicesTypeSelectorOrPorts", () => {
    const retyped = heldService();
    retyped.spec!.type = "NodePort";
    const reselected = heldService();
    reselected.spec!.selector = { a: "c" };
    const reported = heldService();
    reported.spec!.ports = [{ name: "http", port: 81, targetPort: 80, protocol: "TCP" }];
    for (const held of [retyped, reselected, reported]) assert.equal(drifted(service, held), true, JSON.stringify(held.spec));
  });

  it("comparesConfigMapDataExactly", () => {
    const map = (data: Record<string, string>): KubernetesObject & { data: Record<string, string> } => ({ apiVersion: "v1", kind: "ConfigMap", metadata, data });
    assert.equal(drifted(map({ a: "1" }), map({ a: "1" })), false);
    assert.equal(drifted(map({ a: "1" }), map({ a: "2" })), true);
    assert.equal(drifted(map({ a: "1" }), map({ a: "1", b: "2" })), true);
  });
});
