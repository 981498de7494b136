import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { podId, startTestService, type TestService } from "../support/test-service.js";
import { trustedTenant } from "../support/tokens.js";
import { rawRequest, uploadFile, waitForStorageStatus } from "../support/volume-files.js";

/**
 * tapisvolume and tapissnapshot mounts name objects the pod's owner may use:
 * checked when a pod is created, updated or given volumes, then readied by
 * the agent on the cluster's storage when the pod starts (config files
 * written into the volume).
 */
describe("volume and snapshot mounts of pods", function () {
  this.timeout(60_000);
  let svc: TestService;
  let alice: string;
  let bob: string;
  let carol: string;

  before(async () => {
    const other = await trustedTenant();
    const claimsFile = join(process.env.TMPDIR ?? "/tmp", `pods-mount-claims-${process.pid}-volumes.json`);
    await writeFile(claimsFile, JSON.stringify({ local: { "dev-shared-data": ["dev"] } }));
    svc = await startTestService({ PODS_TENANT_KEYS_FILE: other.keysFile, PODS_CLUSTER_CLAIMS_FILE: claimsFile, PODS_CLUSTERS: "local=default;faraway=gpu" });
    alice = await svc.token("alice");
    bob = await svc.token("bob");
    carol = await other.token("carol");
    assert.equal((await svc.api("POST", "/v3/pods/volumes", { token: alice, body: { volume_id: "mountvol" } })).status, 200);
    await waitForStorageStatus(svc.api, alice, "/v3/pods/volumes/mountvol", "AVAILABLE");
    assert.equal((await uploadFile(svc.baseUrl, alice, "/v3/pods/volumes/mountvol/upload/data/a.txt", Buffer.from("a\n"))).status, 200);
    assert.equal((await svc.api("POST", "/v3/pods/snapshots", { token: alice, body: { snapshot_id: "mountsnap", source_volume_id: "mountvol", source_volume_path: "/data" } })).status, 200);
    await waitForStorageStatus(svc.api, alice, "/v3/pods/snapshots/mountsnap", "AVAILABLE");
  });
  after(() => svc.stop());

  const create = (token: string, volumeMounts: Record<string, unknown>, extra: Record<string, unknown> = {}, id = podId("mnt")) =>
    svc.api("POST", "/v3/pods", { token, body: { pod_id: id, image: "busybox", volume_mounts: volumeMounts, ...extra } });
  const volumeMount = { type: "tapisvolume", source_id: "mountvol" };
  const snapshotMount = { type: "tapissnapshot", source_id: "mountsnap", sub_path: "/data" };

  it("refusesAMountOfAVolumeOrSnapshotThatDoesNotExistOrIsAnotherTenants", async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ type: "tapisvolume", source_id: "nosuchvolume" }, alice, "volume_mounts./mnt/data.source_id: volume 'nosuchvolume' does not exist"],
      [{ type: "tapissnapshot", source_id: "nosuchsnapshot" }, alice, "volume_mounts./mnt/data.source_id: snapshot 'nosuchsnapshot' does not exist"],
      [volumeMount, carol, "volume_mounts./mnt/data.source_id: volume 'mountvol' does not exist"],
    ];
    for (const [mount, token, message] of cases) {
      const answer = await create(token, { "/mnt/data": mount });
      assert.equal(answer.status, 400, answer.body.message);
      assert.equal(answer.body.message, message);
    }
  });

  it("needsUserOnAVolumeMountedReadWriteAndReadOnASnapshotOrAReadOnlyVolume", async () => {
    const noVolume = await create(bob, { "/mnt/data": volumeMount });
    assert.equal(noVolume.status, 403);
    assert.equal(noVolume.body.message, "volume_mounts./mnt/data.source_id: USER permission on volume 'mountvol' is required to mount it read-write; you have no permission");
    await svc.api("POST", "/v3/pods/volumes/mountvol/permissions", { token: alice, body: { user: "bob", level: "READ" } });
    const readVolume = await create(bob, { "/mnt/data": volumeMount });
    assert.equal(readVolume.status, 403);
    assert.equal(readVolume.body.message, "volume_mounts./mnt/data.source_id: USER permission on volume 'mountvol' is required to mount it read-write; you have READ");
    assert.equal((await create(bob, { "/mnt/data": { ...volumeMount, read_only: true } })).status, 200, "READ is enough for a read-only mount");

    const noSnapshot = await create(bob, { "/mnt/backup": snapshotMount });
    assert.equal(noSnapshot.status, 403);
    assert.equal(noSnapshot.body.message, "volume_mounts./mnt/backup.source_id: READ permission on snapshot 'mountsnap' is required to mount it; you have no permission");
    await svc.api("POST", "/v3/pods/snapshots/mountsnap/permissions", { token: alice, body: { user: "bob", level: "READ" } });
    assert.equal((await create(bob, { "/mnt/backup": snapshotMount })).status, 200);
  });

  it("refusesAMountOfAVolumeOnAnotherCluster", async () => {
    const answer = await create(alice, { "/mnt/data": volumeMount }, { compute_queue: "gpu" });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.message, "volume_mounts./mnt/data.source_id: volume 'mountvol' is on cluster 'local', and this pod runs on cluster 'faraway'");
  });

  it("readsReadOnlyBackAsTheReferenceSaysWhenItIsUnset", async () => {
    const id = podId("ro");
    const created = await create(
      alice,
      {
        "/mnt/data": volumeMount,
        "/mnt/backup": snapshotMount,
        "/etc/app.ini": { type: "ephemeral", config_content: "a=1" },
        "/mnt/shared": { type: "pvc", source_id: "dev-shared-data" },
        "/mnt/locked": { ...volumeMount, read_only: true },
      },
      {},
      id,
    );
    assert.equal(created.status, 200, created.body.message);
    const mounts = (await svc.api("GET", `/v3/pods/${id}`, { token: alice })).body.result.volume_mounts;
    assert.deepEqual(
      Object.fromEntries(Object.entries(mounts as Record<string, { read_only: boolean }>).map(([path, mount]) => [path, mount.read_only])),
      { "/mnt/data": false, "/mnt/backup": true, "/etc/app.ini": true, "/mnt/shared": false, "/mnt/locked": true },
    );
  });

  it("refusesAnEphemeralMountWithoutContentAndAVolumeConfigWithoutAFileName", async () => {
    const ephemeral = await create(alice, { "/etc/app.ini": { type: "ephemeral" } });
    assert.equal(ephemeral.status, 400);
    assert.equal(ephemeral.body.message, "volume_mounts./etc/app.ini.config_content: is required for type ephemeral");
    const config = await create(alice, { "/mnt/data": { ...volumeMount, config_content: "a=1" } });
    assert.equal(config.status, 400);
    assert.equal(config.body.message, "volume_mounts./mnt/data.config_filename: is required when a tapisvolume mount has config_content");
  });

  it("checksMountsOnUpdateAndWhenVolumesAreAttachedThroughTheSeedDocsPath", async () => {
    const id = podId("att");
    assert.equal((await create(alice, {}, {}, id)).status, 200);
    const update = await svc.api("PUT", `/v3/pods/${id}`, { token: alice, body: { volume_mounts: { "/mnt/x": { type: "tapisvolume", source_id: "nosuchvolume" } } } });
    assert.equal(update.status, 400);
    assert.equal(update.body.message, "volume_mounts./mnt/x.source_id: volume 'nosuchvolume' does not exist");

    const attached = await svc.api("POST", `/v3/pods/${id}/volumes`, { token: alice, body: { volume_mounts: { "/mnt/data": volumeMount } } });
    assert.equal(attached.status, 200, attached.body.message);
    assert.equal(attached.body.message, "Volumes attached to the pod; they are mounted from its next start.");
    const mount = attached.body.result.volume_mounts["/mnt/data"];
    assert.deepEqual([mount.type, mount.source_id, mount.read_only], ["tapisvolume", "mountvol", false]);
    const more = await svc.api("POST", `/v3/pods/${id}/volumes`, { token: alice, body: { volume_mounts: { "/mnt/backup": snapshotMount } } });
    assert.deepEqual(Object.keys(more.body.result.volume_mounts).sort(), ["/mnt/backup", "/mnt/data"], "attaching adds to the mounts the pod has");
    const bad = await svc.api("POST", `/v3/pods/${id}/volumes`, { token: alice, body: { volume_mounts: { "/mnt/y": { type: "tapisvolume", source_id: "nosuchvolume" } } } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.message, "volume_mounts./mnt/y.source_id: volume 'nosuchvolume' does not exist");
    const none = await svc.api("POST", `/v3/pods/${id}/volumes`, { token: alice, body: {} });
    assert.equal(none.status, 400);
    assert.equal(none.body.message, "volume_mounts: name at least one mount to attach");
    assert.deepEqual(Object.keys((await svc.api("GET", `/v3/pods/${id}`, { token: alice })).body.result.volume_mounts).sort(), ["/mnt/backup", "/mnt/data"]);
  });

  it("writesConfigContentIntoTheVolumeAtEveryStartOrOnlyWhenMissing", async () => {
    const id = podId("conf");
    const created = await create(
      alice,
      {
        "/etc/app": { ...volumeMount, sub_path: "conf", config_content: "[app]\nport=1\n", config_filename: "app.ini", config_permissions: "0600" },
        "/etc/once": { ...volumeMount, sub_path: "once", config_content: "first\n", config_filename: "keep.ini", config_update_mode: "once" },
      },
      {},
      id,
    );
    assert.equal(created.status, 200, created.body.message);
    await svc.waitForStatus(alice, id, "AVAILABLE");
    const read = async (path: string) => (await rawRequest(svc.baseUrl, "GET", `/v3/pods/volumes/mountvol/contents/${path}`, { token: alice })).body.toString();
    assert.equal(await read("conf/app.ini"), "[app]\nport=1\n");
    assert.equal(await read("once/keep.ini"), "first\n");
    const listed = (await svc.api("GET", "/v3/pods/volumes/mountvol/list", { token: alice })).body.result as { path: string; nativePermissions: string }[];
    assert.equal(listed.find((f) => f.path === "conf/app.ini")?.nativePermissions, "rw-------");

    await uploadFile(svc.baseUrl, alice, "/v3/pods/volumes/mountvol/upload/conf/app.ini", Buffer.from("edited\n"));
    await uploadFile(svc.baseUrl, alice, "/v3/pods/volumes/mountvol/upload/once/keep.ini", Buffer.from("edited\n"));
    const before = (await svc.api("GET", `/v3/pods/${id}`, { token: alice })).body.result.start_instance_ts;
    await svc.api("GET", `/v3/pods/${id}/restart`, { token: alice });
    const deadline = Date.now() + 20_000;
    while ((await svc.api("GET", `/v3/pods/${id}`, { token: alice })).body.result.start_instance_ts === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await svc.waitForStatus(alice, id, "AVAILABLE");
    assert.equal(await read("conf/app.ini"), "[app]\nport=1\n", "always: written again at the new start");
    assert.equal(await read("once/keep.ini"), "edited\n", "once: left as it is");
  });

  it("refusesToStartAPodWhoseVolumeWasDeletedWhileItWasStopped", async () => {
    assert.equal((await svc.api("POST", "/v3/pods/volumes", { token: alice, body: { volume_id: "shortlived" } })).status, 200);
    await waitForStorageStatus(svc.api, alice, "/v3/pods/volumes/shortlived", "AVAILABLE");
    const id = podId("orphan");
    assert.equal((await create(alice, { "/mnt/data": { type: "tapisvolume", source_id: "shortlived" } }, { status_requested: "OFF" }, id)).status, 200);
    assert.equal((await svc.api("DELETE", "/v3/pods/volumes/shortlived", { token: alice })).status, 200);
    await svc.api("GET", `/v3/pods/${id}/start`, { token: alice });
    await svc.waitForStatus(alice, id, "ERROR", 20_000);
    const logs = (await svc.api("GET", `/v3/pods/${id}/logs`, { token: alice })).body.result.action_logs as string[];
    assert.ok(logs.some((line) => /volume_mounts\.\/mnt\/data: volume 'shortlived' has no folder on this cluster's storage/.test(line)), JSON.stringify(logs));
  });
});
