import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { DesiredPodSchema } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { refusedMount } from "../../agent/reconcile/mount-policy.js";

const desired = (volumeMounts: Record<string, { type: string; sourceId?: string; subPath?: string }>, allowedClaims: string[] = []) =>
  create(DesiredPodSchema, { tenantId: "dev", podId: "pod1", volumeMounts, allowedClaims });

describe("the agent's mount policy", () => {
  it("neverMountsTheStorageClaimEvenWhenGranted", () => {
    assert.match(refusedMount(desired({ "/all": { type: "pvc", sourceId: "pods-storage" } }, ["pods-storage"]), "pods-storage") ?? "", /storage claim 'pods-storage' is never mounted/);
  });

  it("mountsAClaimOnlyWhenGrantedToTheTenant", () => {
    assert.match(refusedMount(desired({ "/d": { type: "pvc", sourceId: "data" } }), "pods-storage") ?? "", /claim 'data' is not granted to tenant 'dev'/);
    assert.equal(refusedMount(desired({ "/d": { type: "pvc", sourceId: "data" } }, ["data"]), "pods-storage"), null);
  });

  it("refusesSourcesThatAreNotIdsAndSubPathsThatClimb", () => {
    assert.match(refusedMount(desired({ "/v": { type: "tapisvolume", sourceId: "../bob/vol" } }), null) ?? "", /is not a volume id/);
    assert.match(refusedMount(desired({ "/s": { type: "tapissnapshot", sourceId: "snap/x" } }), null) ?? "", /is not a snapshot id/);
    assert.match(refusedMount(desired({ "/v": { type: "tapisvolume", sourceId: "vol1", subPath: "a/../../b" } }), null) ?? "", /sub_path must not contain/);
    assert.equal(refusedMount(desired({ "/v": { type: "tapisvolume", sourceId: "vol1", subPath: "a/b" }, "/c": { type: "ephemeral" } }), null), null);
  });
});
