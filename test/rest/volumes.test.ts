import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { podId, startTestService, type TestService } from "../support/test-service.js";
import { trustedTenant, type TrustedTenant } from "../support/tokens.js";
import { storedFolder, waitForStorageStatus } from "../support/volume-files.js";

/**
 * Volumes over REST: created on the cluster's storage (a folder the agent
 * owns), listed, read, changed, shared and deleted, with every bad input
 * refused naming its field and rule.
 */
describe("volumes over REST", () => {
  let svc: TestService;
  let alice: string;
  let bob: string;
  let other: TrustedTenant;

  before(async () => {
    other = await trustedTenant();
    svc = await startTestService({ PODS_TENANT_KEYS_FILE: other.keysFile });
    alice = await svc.token("alice");
    bob = await svc.token("bob");
  });
  after(() => svc.stop());

  const create = (token: string, body: unknown, path = "/v3/pods/volumes") => svc.api("POST", path, { token, body });
  const volumeId = () => podId("vol");

  it("createsAVolumeThatBecomesAvailableWithItsFolderOnTheClustersStorage", async () => {
    const created = await create(alice, { volume_id: "myvolume", description: "My persistent volume", size_limit: 1024 });
    assert.equal(created.status, 200, created.body.message);
    assert.equal(created.body.message, "Volume created successfully.");
    const volume = created.body.result;
    assert.equal(volume.volume_id, "myvolume");
    assert.equal(volume.description, "My persistent volume");
    assert.equal(volume.size_limit, 1024);
    assert.equal(volume.size, 0);
    assert.ok(["REQUESTED", "AVAILABLE"].includes(volume.status), volume.status);
    assert.match(volume.creation_ts, /^\d{4}-\d\d-\d\dT/);
    assert.match(volume.update_ts, /^\d{4}-\d\d-\d\dT/);
    const available = await waitForStorageStatus(svc.api, alice, "/v3/pods/volumes/myvolume", "AVAILABLE");
    assert.equal(available.status_reason, "");
    assert.ok(existsSync(storedFolder(svc.dataDir, "volumes", "dev", "myvolume")), "the volume's folder exists on the storage");
  });

  it("createsThroughTheSeedDocsPathWithTheDefaults", async () => {
    const created = await create(alice, { volume_id: "seedvolume" }, "/v3/volumes");
    assert.equal(created.status, 200, created.body.message);
    assert.equal(created.body.result.size_limit, 1024);
    assert.equal(created.body.result.description, "");
    await waitForStorageStatus(svc.api, alice, "/v3/pods/volumes/seedvolume", "AVAILABLE");
  });

  it("refusesBadInputNamingTheFieldAndTheRuleAndStoresNothing", async () => {
    const cases: [unknown, RegExp, string | null][] = [
      [{ volume_id: "Bad_Id" }, /volume_id: must be 3-64 lowercase letters and digits, starting with a letter \(got "Bad_Id"\)/, null],
      [{}, /volume_id: must be 3-64 lowercase letters and digits/, null],
      [{ volume_id: "badlimit1", size_limit: 0 }, /size_limit: must be between 1 and 1048576 \(MB\)/, "badlimit1"],
      [{ volume_id: "badlimit2", size_limit: 2_000_000 }, /size_limit: must be between 1 and 1048576 \(MB\)/, "badlimit2"],
      [{ volume_id: "baddesc", description: "caf\u00e9" }, /description: must be ASCII/, "baddesc"],
      [{ volume_id: "badtype", size_limit: "big" }, /size_limit: /, "badtype"],
      [{ volume_id: "unknownfield", colour: "red" }, /colour: unknown field/, "unknownfield"],
    ];
    for (const [body, pattern, id] of cases) {
      const answer = await create(alice, body);
      assert.equal(answer.status, 400, `${JSON.stringify(body)}: ${answer.body.message}`);
      assert.equal(answer.body.status, "error");
      assert.match(answer.body.message, pattern, JSON.stringify(body));
      if (id) assert.equal((await svc.api("GET", `/v3/pods/volumes/${id}`, { token: alice })).status, 404, `${id} was stored`);
    }
  });

  it("refusesADuplicateIdWith409", async () => {
    const id = volumeId();
    assert.equal((await create(alice, { volume_id: id })).status, 200);
    const again = await create(bob, { volume_id: id });
    assert.equal(again.status, 409, again.body.message);
    assert.equal(again.body.message, `volume '${id}' already exists`);
  });

  it("listsOnlyTheVolumesTheCallerMayRead", async () => {
    const id = volumeId();
    assert.equal((await create(alice, { volume_id: id })).status, 200);
    const ids = async (token: string) => ((await svc.api("GET", "/v3/pods/volumes", { token })).body.result as { volume_id: string }[]).map((v) => v.volume_id);
    assert.ok((await ids(alice)).includes(id));
    assert.ok(!(await ids(bob)).includes(id));
    assert.equal((await svc.api("POST", `/v3/pods/volumes/${id}/permissions`, { token: alice, body: { user: "bob", level: "READ" } })).status, 200);
    assert.ok((await ids(bob)).includes(id));
    const listed = await svc.api("GET", "/v3/pods/volumes", { token: bob });
    assert.equal(listed.body.message, "Volumes retrieved successfully.");
  });

  it("answers404ForAVolumeThatDoesNotExist", async () => {
    for (const [method, path] of [["GET", ""], ["PUT", ""], ["DELETE", ""], ["GET", "/permissions"], ["GET", "/list"]] as const) {
      const answer = await svc.api(method, `/v3/pods/volumes/nosuchvolume${path}`, { token: alice, body: method === "PUT" ? { description: "x" } : undefined });
      assert.equal(answer.status, 404, `${method} ${path}: ${answer.body.message}`);
      assert.equal(answer.body.message, "volume 'nosuchvolume' not found");
    }
  });

  it("updatesOnlyTheFieldsSentAndRefusesBadValues", async () => {
    const id = volumeId();
    await create(alice, { volume_id: id, description: "first", size_limit: 10 });
    const described = await svc.api("PUT", `/v3/pods/volumes/${id}`, { token: alice, body: { description: "changed" } });
    assert.equal(described.status, 200, described.body.message);
    assert.equal(described.body.message, "Volume updated successfully.");
    assert.equal(described.body.result.description, "changed");
    assert.equal(described.body.result.size_limit, 10);
    const grown = await svc.api("PUT", `/v3/pods/volumes/${id}`, { token: alice, body: { size_limit: 2048 } });
    assert.equal(grown.body.result.size_limit, 2048);
    assert.equal(grown.body.result.description, "changed");
    const bad = await svc.api("PUT", `/v3/pods/volumes/${id}`, { token: alice, body: { size_limit: -1, description: "x".repeat(256) } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /size_limit: must be between 1 and 1048576 \(MB\)/);
    assert.match(bad.body.message, /description: must be at most 255 characters/);
    assert.equal((await svc.api("GET", `/v3/pods/volumes/${id}`, { token: alice })).body.result.size_limit, 2048);
  });

  it("refusesAnUpdateThatChangesNothing", async () => {
    const id = volumeId();
    await create(alice, { volume_id: id, description: "same", size_limit: 10 });
    const empty = await svc.api("PUT", `/v3/pods/volumes/${id}`, { token: alice, body: {} });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.message, `volume '${id}' is unchanged: the request names no field to change`);
    const same = await svc.api("PUT", `/v3/pods/volumes/${id}`, { token: alice, body: { description: "same", size_limit: 10 } });
    assert.equal(same.status, 400);
    assert.equal(same.body.message, `volume '${id}' is unchanged: description, size_limit already hold the values given`);
  });

  it("sharesWithUserLevelGrantsAndKeepsOneAdmin", async () => {
    const id = volumeId();
    await create(alice, { volume_id: id });
    const initial = await svc.api("GET", `/v3/pods/volumes/${id}/permissions`, { token: alice });
    assert.equal(initial.status, 200);
    assert.deepEqual(initial.body.result, { permissions: ["alice:ADMIN"] });
    const set = await svc.api("POST", `/v3/pods/volumes/${id}/permissions`, { token: alice, body: { user: "bob", level: "USER" } });
    assert.equal(set.status, 200, set.body.message);
    assert.deepEqual(set.body.result.permissions, ["alice:ADMIN", "bob:USER"]);
    const badLevel = await svc.api("POST", `/v3/pods/volumes/${id}/permissions`, { token: alice, body: { user: "bob", level: "OWNER" } });
    assert.equal(badLevel.status, 400);
    assert.match(badLevel.body.message, /level/);
    const lastAdmin = await svc.api("DELETE", `/v3/pods/volumes/${id}/permissions/alice`, { token: alice });
    assert.equal(lastAdmin.status, 400);
    assert.match(lastAdmin.body.message, new RegExp(`alice is the last ADMIN of volume '${id}'`));
    const removed = await svc.api("DELETE", `/v3/pods/volumes/${id}/permissions/bob`, { token: alice });
    assert.deepEqual(removed.body.result.permissions, ["alice:ADMIN"]);
    const missing = await svc.api("DELETE", `/v3/pods/volumes/${id}/permissions/bob`, { token: alice });
    assert.equal(missing.status, 404);
  });

  it("refusesToDeleteAVolumeThatAPodNotStoppedMountsNamingThePods", async () => {
    const id = volumeId();
    await create(alice, { volume_id: id });
    await waitForStorageStatus(svc.api, alice, `/v3/pods/volumes/${id}`, "AVAILABLE");
    const pod = podId("user");
    const created = await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: pod, image: "busybox", volume_mounts: { "/mnt/data": { type: "tapisvolume", source_id: id } } } });
    assert.equal(created.status, 200, created.body.message);
    await svc.waitForStatus(alice, pod, "AVAILABLE");

    const refused = await svc.api("DELETE", `/v3/pods/volumes/${id}`, { token: alice });
    assert.equal(refused.status, 409, refused.body.message);
    assert.equal(refused.body.message, `volume '${id}' is mounted by pods that are not STOPPED: ${pod}; stop them first`);
    assert.equal((await svc.api("GET", `/v3/pods/volumes/${id}`, { token: alice })).body.result.status, "AVAILABLE");

    await svc.api("GET", `/v3/pods/${pod}/stop`, { token: alice });
    await svc.waitForStatus(alice, pod, "STOPPED");
    const deleted = await svc.api("DELETE", `/v3/pods/volumes/${id}`, { token: alice });
    assert.equal(deleted.status, 200, deleted.body.message);
    assert.equal(deleted.body.message, "Volume deleted successfully.");
    assert.equal((await svc.api("GET", `/v3/pods/volumes/${id}`, { token: alice })).status, 404);
    assert.ok(!existsSync(storedFolder(svc.dataDir, "volumes", "dev", id)), "the volume's folder is gone");

    // The id is free again, with none of the old grants.
    assert.equal((await create(bob, { volume_id: id })).status, 200);
    assert.deepEqual((await svc.api("GET", `/v3/pods/volumes/${id}/permissions`, { token: bob })).body.result.permissions, ["bob:ADMIN"]);
  });

  it("keepsEachTenantsVolumesApart", async () => {
    const id = volumeId();
    await create(alice, { volume_id: id });
    const carol = await other.token("carol");
    assert.equal((await svc.api("GET", `/v3/pods/volumes/${id}`, { token: carol })).status, 404);
    assert.deepEqual(((await svc.api("GET", "/v3/pods/volumes", { token: carol })).body.result as unknown[]).length, 0);
    const theirs = await create(carol, { volume_id: id, description: "carol's" });
    assert.equal(theirs.status, 200, theirs.body.message);
    assert.equal((await svc.api("GET", `/v3/pods/volumes/${id}`, { token: alice })).body.result.description, "");
    await waitForStorageStatus(svc.api, carol, `/v3/pods/volumes/${id}`, "AVAILABLE");
    assert.ok(existsSync(storedFolder(svc.dataDir, "volumes", "other", id)));
  });
});
