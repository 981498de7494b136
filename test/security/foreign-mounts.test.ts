import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { podId, startTestService, type TestService } from "../support/test-service.js";
import { trustedTenant } from "../support/tokens.js";

/**
 * A pod mounts only what its owner may use: never the storage claim that
 * holds every tenant's volumes, a PersistentVolumeClaim only where the
 * cluster grants it to the pod's tenant, and every source_id is an id, never
 * a path.
 */
describe("volume mounts of other tenants' data", () => {
  let svc: TestService;
  let alice: string;
  let carol: string;

  before(async () => {
    const other = await trustedTenant();
    const claimsFile = join(process.env.TMPDIR ?? "/tmp", `pods-mount-claims-${process.pid}.json`);
    await writeFile(claimsFile, JSON.stringify({ local: { "dev-shared-data": ["dev"] } }));
    svc = await startTestService({ PODS_TENANT_KEYS_FILE: other.keysFile, PODS_CLUSTER_CLAIMS_FILE: claimsFile });
    alice = await svc.token("alice");
    carol = await other.token("carol");
  });
  after(() => svc.stop());

  const create = (token: string, volumeMounts: Record<string, unknown>) =>
    svc.api("POST", "/v3/pods", { token, body: { pod_id: podId("mount"), image: "busybox", volume_mounts: volumeMounts } });

  it("refusesTheStorageClaimThatHoldsEveryTenantsVolumes", async () => {
    const answer = await create(alice, { "/data": { type: "pvc", source_id: "pods-storage" } });
    assert.equal(answer.status, 400, answer.body.message);
    assert.match(answer.body.message, /volume_mounts\.\/data\.source_id: claim 'pods-storage' is not granted to tenant 'dev' on cluster 'local'/);
  });

  it("refusesAClaimTheClusterDoesNotGrantToThePodsTenant", async () => {
    const unlisted = await create(alice, { "/data": { type: "pvc", source_id: "someone-elses" } });
    assert.equal(unlisted.status, 400, unlisted.body.message);
    assert.match(unlisted.body.message, /claim 'someone-elses' is not granted to tenant 'dev'/);
    const foreign = await create(carol, { "/data": { type: "pvc", source_id: "dev-shared-data" } });
    assert.equal(foreign.status, 400, foreign.body.message);
    assert.match(foreign.body.message, /claim 'dev-shared-data' is not granted to tenant 'other'/);
  });

  it("letsATenantMountAClaimGrantedToIt", async () => {
    const answer = await create(alice, { "/data": { type: "pvc", source_id: "dev-shared-data", sub_path: "alice" } });
    assert.equal(answer.status, 200, answer.body.message);
  });

  it("refusesSourceIdsThatAreNotIds", async () => {
    const cases: [string, Record<string, unknown>][] = [
      ["tapisvolume", { type: "tapisvolume", source_id: "../other/vol1" }],
      ["tapissnapshot", { type: "tapissnapshot", source_id: "snap/../../x" }],
      ["pvc", { type: "pvc", source_id: "dev-shared-data/../pods-storage" }],
      ["pvc", { type: "pvc", source_id: "Dev.Shared" }],
    ];
    for (const [type, mount] of cases) {
      const answer = await create(alice, { "/data": mount });
      assert.equal(answer.status, 400, `${JSON.stringify(mount)}: ${answer.body.message}`);
      assert.match(answer.body.message, new RegExp(`volume_mounts\\./data\\.source_id: must be (a|an) .*id`), `${type}: ${answer.body.message}`);
    }
  });

  it("refusesAForeignClaimOnUpdateToo", async () => {
    const id = podId("upd");
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: id, image: "busybox" } })).status, 200);
    const answer = await svc.api("PUT", `/v3/pods/${id}`, { token: alice, body: { volume_mounts: { "/all": { type: "pvc", source_id: "pods-storage" } } } });
    assert.equal(answer.status, 400, answer.body.message);
    assert.match(answer.body.message, /volume_mounts\.\/all\.source_id: claim 'pods-storage' is not granted/);
    assert.deepEqual((await svc.api("GET", `/v3/pods/${id}`, { token: alice })).body.result.volume_mounts, {});
  });
});

/**
 * The agent checks mounts again before it applies a pod: a grant revoked
 * after the pod was created stops the pod's next start, with the reason in
 * its action log.
 */
describe("the agent's own check of mounts", () => {
  let svc: TestService;

  before(async () => {
    const claimsFile = join(process.env.TMPDIR ?? "/tmp", `pods-agent-claims-${process.pid}.json`);
    await writeFile(claimsFile, JSON.stringify({ local: { "dev-shared-data": ["dev"] } }));
    svc = await startTestService({ PODS_CLUSTER_CLAIMS_FILE: claimsFile });
  });
  after(() => svc.stop());

  it("refusesToStartAPodWhoseClaimIsNoLongerGranted", async () => {
    const alice = await svc.token("alice");
    const admin = await svc.token("admin");
    const id = podId("revoked");
    const created = await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: id, image: "busybox", volume_mounts: { "/data": { type: "pvc", source_id: "dev-shared-data" } } } });
    assert.equal(created.status, 200, created.body.message);
    await svc.waitForStatus(alice, id, "AVAILABLE");

    const revoked = await svc.api("PUT", "/v3/pods/clusters/local", { token: admin, body: { claims: [] } });
    assert.equal(revoked.status, 200, revoked.body.message);
    assert.deepEqual(revoked.body.result.claims, []);

    assert.equal((await svc.api("GET", `/v3/pods/${id}/restart`, { token: alice })).status, 200);
    await svc.waitForStatus(alice, id, "ERROR", 20_000);
    const logs = await svc.api("GET", `/v3/pods/${id}/logs`, { token: alice });
    assert.ok(
      logs.body.result.action_logs.some((line: string) => /volume_mounts\.\/data: claim 'dev-shared-data' is not granted to tenant 'dev' on this cluster/.test(line)),
      JSON.stringify(logs.body.result.action_logs),
    );
  });
});
