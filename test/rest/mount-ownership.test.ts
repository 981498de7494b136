import assert from "node:assert/strict";
import { startTestService, type TestService } from "../support/test-service.js";
import { trustedTenant, type TrustedTenant } from "../support/tokens.js";
import { uploadFile, waitForStorageStatus } from "../support/volume-files.js";

type Json = Record<string, any>;

/**
 * Who mounts what: volumes and snapshots list the pods that mount them
 * (mounted_by), each mount of a pod names the user who mounted it, and a
 * read-write mount needs USER on the volume, a read-only one READ, whoever
 * adds it and however (create, update, attach, a template, a template
 * version the pod moves to, a base template's newer version).
 */
describe("mount ownership: mounted_by and the rule behind it", function () {
  this.timeout(60_000);
  let svc: TestService;
  let alice: string;
  let bob: string;
  let other: TrustedTenant;

  before(async () => {
    other = await trustedTenant();
    svc = await startTestService({ PODS_TENANT_KEYS_FILE: other.keysFile });
    alice = await svc.token("alice");
    bob = await svc.token("bob");
    for (const id of ["ownvol", "sharedvol", "idlevol"]) {
      assert.equal((await svc.api("POST", "/v3/pods/volumes", { token: alice, body: { volume_id: id } })).status, 200);
      await waitForStorageStatus(svc.api, alice, `/v3/pods/volumes/${id}`, "AVAILABLE");
    }
    assert.equal((await uploadFile(svc.baseUrl, alice, "/v3/pods/volumes/ownvol/upload/data/a.txt", Buffer.from("a\n"))).status, 200);
    assert.equal((await svc.api("POST", "/v3/pods/snapshots", { token: alice, body: { snapshot_id: "ownsnap", source_volume_id: "ownvol", source_volume_path: "/data" } })).status, 200);
    await waitForStorageStatus(svc.api, alice, "/v3/pods/snapshots/ownsnap", "AVAILABLE");
  });
  after(() => svc.stop());

  const ok = async (answer: Promise<{ status: number; body: Json }>) => {
    const done = await answer;
    assert.equal(done.status, 200, done.body.message);
    return done.body.result;
  };
  const pod = (token: string, body: Json) => svc.api("POST", "/v3/pods", { token, body: { image: "busybox", status_requested: "OFF", ...body } });
  const share = (kind: string, id: string, user: string, level: string) => ok(svc.api("POST", `/v3/pods/${kind}/${id}/permissions`, { token: alice, body: { user, level } }));

  it("listsOnEachVolumeAndSnapshotThePodsThatMountItReadOnlyOrNotAndWhoMountedThem", async () => {
    const rw = await ok(pod(alice, { pod_id: "writer", volume_mounts: { "/data": { type: "tapisvolume", source_id: "ownvol" }, "/snap": { type: "tapissnapshot", source_id: "ownsnap" } } }));
    assert.equal(rw.volume_mounts["/data"].mounted_by, "alice");
    assert.equal(rw.volume_mounts["/snap"].mounted_by, "alice");
    await ok(pod(alice, { pod_id: "reader", volume_mounts: { "/ro": { type: "tapisvolume", source_id: "ownvol", read_only: true, sub_path: "data" }, "/etc/a.ini": { type: "ephemeral", config_content: "a=1" } } }));
    const reader = await ok(svc.api("GET", "/v3/pods/reader", { token: alice }));
    assert.equal(reader.volume_mounts["/etc/a.ini"].mounted_by, null, "only volumes and snapshots have a mounter");

    const volume = await ok(svc.api("GET", "/v3/pods/volumes/ownvol", { token: alice }));
    assert.deepEqual(volume.mounted_by, [
      { pod_id: "reader", mount_path: "/ro", read_only: true, user: "alice" },
      { pod_id: "writer", mount_path: "/data", read_only: false, user: "alice" },
    ]);
    const listed = (await ok(svc.api("GET", "/v3/pods/volumes", { token: alice }))) as Json[];
    assert.deepEqual(listed.find((v) => v.volume_id === "ownvol")!.mounted_by, volume.mounted_by);
    assert.deepEqual(listed.find((v) => v.volume_id === "idlevol")!.mounted_by, []);
    const snapshot = await ok(svc.api("GET", "/v3/pods/snapshots/ownsnap", { token: alice }));
    assert.deepEqual(snapshot.mounted_by, [{ pod_id: "writer", mount_path: "/snap", read_only: true, user: "alice" }]);
  });

  it("refusesMountedByInARequestBecauseTheServiceSetsIt", async () => {
    const answer = await pod(alice, { pod_id: "forged", volume_mounts: { "/data": { type: "tapisvolume", source_id: "ownvol", mounted_by: "bob" } } });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.message, "volume_mounts./data.mounted_by: is set by the service");
  });

  it("namesTheUserWhoAddedEachMountAndKeepsItForMountsLeftAsTheyWere", async () => {
    await ok(pod(alice, { pod_id: "teamapp", volume_mounts: { "/data": { type: "tapisvolume", source_id: "ownvol" } } }));
    await ok(svc.api("POST", "/v3/pods/teamapp/permissions", { token: alice, body: { user: "bob", level: "USER" } }));
    await share("volumes", "sharedvol", "bob", "USER");
    // bob may not use ownvol, yet he may keep alice's mount of it as it is and add his own.
    const attached = await ok(svc.api("POST", "/v3/pods/teamapp/volumes", { token: bob, body: { volume_mounts: { "/extra": { type: "tapisvolume", source_id: "sharedvol" } } } }));
    assert.deepEqual([attached.volume_mounts["/data"].mounted_by, attached.volume_mounts["/extra"].mounted_by], ["alice", "bob"]);
    const updated = await ok(
      svc.api("PUT", "/v3/pods/teamapp", {
        token: bob,
        body: { volume_mounts: { "/data": { type: "tapisvolume", source_id: "ownvol" }, "/extra": { type: "tapisvolume", source_id: "sharedvol", read_only: true } } },
      }),
    );
    assert.deepEqual([updated.volume_mounts["/data"].mounted_by, updated.volume_mounts["/extra"].mounted_by], ["alice", "bob"]);
    // Changing alice's mount makes it bob's, which his permissions must allow.
    const taken = await svc.api("PUT", "/v3/pods/teamapp", { token: bob, body: { volume_mounts: { "/data": { type: "tapisvolume", source_id: "ownvol", sub_path: "data" } } } });
    assert.equal(taken.status, 403);
    assert.equal(taken.body.message, "volume_mounts./data.source_id: USER permission on volume 'ownvol' is required to mount it read-write; you have no permission");
    const usersOfShared = (await ok(svc.api("GET", "/v3/pods/volumes/sharedvol", { token: alice }))).mounted_by;
    assert.deepEqual(usersOfShared, [{ pod_id: "teamapp", mount_path: "/extra", read_only: true, user: "bob" }]);
  });

  describe("mounts a pod gets from templates", () => {
    before(async () => {
      await ok(svc.api("POST", "/v3/pods/templates", { token: alice, body: { template_id: "withdata" } }));
      await ok(svc.api("POST", "/v3/pods/templates/withdata/tags", { token: alice, body: { commit_message: "data", pod_definition: { image: "busybox", volume_mounts: { "/data": { type: "tapisvolume", source_id: "ownvol" } } } } }));
      await ok(svc.api("POST", "/v3/pods/templates/withdata/permissions", { token: alice, body: { user: "bob", level: "READ" } }));
      await share("volumes", "ownvol", "bob", "READ");
    });

    it("checksThemWithTheCreatorsPermissionsAndLetsTemplateOverridesMakeThemReadOnly", async () => {
      const refused = await pod(bob, { pod_id: "bobdata", template: "withdata" });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.message, "volume_mounts./data.source_id: USER permission on volume 'ownvol' is required to mount it read-write; you have READ");
      assert.equal((await svc.api("GET", "/v3/pods/bobdata", { token: bob })).status, 404);
      const readOnly = await ok(pod(bob, { pod_id: "bobdata", template: "withdata", template_overrides: { volume_mounts: { "/data": { read_only: true } } } }));
      assert.deepEqual([readOnly.volume_mounts["/data"].read_only, readOnly.volume_mounts["/data"].mounted_by], [true, "bob"]);
    });

    it("checksTheMountsOfTheVersionARestartMovesThePodTo", async () => {
      await ok(svc.api("POST", "/v3/pods/templates", { token: alice, body: { template_id: "growing" } }));
      await ok(svc.api("POST", "/v3/pods/templates/growing/tags", { token: alice, body: { commit_message: "bare", pod_definition: { image: "busybox" } } }));
      await ok(svc.api("POST", "/v3/pods/templates/growing/permissions", { token: alice, body: { user: "bob", level: "READ" } }));
      await ok(pod(bob, { pod_id: "bobgrowing", template: "growing" }));
      await ok(svc.api("POST", "/v3/pods/templates/growing/tags", { token: alice, body: { commit_message: "data", pod_definition: { image: "busybox", volume_mounts: { "/data": { type: "tapisvolume", source_id: "ownvol" } } } } }));
      const moved = await svc.api("GET", "/v3/pods/bobgrowing/restart?grab_latest_template_tag=true", { token: bob });
      assert.equal(moved.status, 403);
      assert.equal(moved.body.message, "volume_mounts./data.source_id: USER permission on volume 'ownvol' is required to mount it read-write; you have READ");
      const still = await ok(svc.api("GET", "/v3/pods/bobgrowing", { token: bob }));
      assert.deepEqual(still.volume_mounts, {}, "the pod stays on the version it had");
    });

    it("refusesToStartAPodWhoseBaseTemplateNowMountsAVolumeItsMounterMayNotUse", async () => {
      await ok(svc.api("POST", "/v3/pods/templates", { token: alice, body: { template_id: "floatbase" } }));
      await ok(svc.api("POST", "/v3/pods/templates/floatbase/tags", { token: alice, body: { tag: "v1", commit_message: "bare", pod_definition: { image: "busybox" } } }));
      await ok(svc.api("POST", "/v3/pods/templates", { token: alice, body: { template_id: "floatchild" } }));
      await ok(svc.api("POST", "/v3/pods/templates/floatchild/tags", { token: alice, body: { commit_message: "on v1", pod_definition: { template: "floatbase:v1" } } }));
      await ok(svc.api("POST", "/v3/pods/templates/floatchild/permissions", { token: alice, body: { user: "bob", level: "READ" } }));
      await ok(pod(bob, { pod_id: "bobfloat", template: "floatchild" }));
      // The child builds on whatever is newest of floatbase:v1; that now mounts ownvol read-write.
      await ok(svc.api("POST", "/v3/pods/templates/floatbase/tags", { token: alice, body: { tag: "v1", commit_message: "data", pod_definition: { image: "busybox", volume_mounts: { "/data": { type: "tapisvolume", source_id: "ownvol" } } } } }));
      await ok(svc.api("GET", "/v3/pods/bobfloat/start", { token: bob }));
      await svc.waitForStatus(bob, "bobfloat", "ERROR", 20_000);
      const logs = (await ok(svc.api("GET", "/v3/pods/bobfloat/logs", { token: bob }))).action_logs as string[];
      assert.ok(
        logs.some((line) => line.includes("Refused to start the pod: volume_mounts./data.source_id: USER permission on volume 'ownvol' is required to mount it read-write; bob has READ.")),
        JSON.stringify(logs),
      );
    });

    it("refusesToStartAPodOnceItsMounterLostPermissionOnTheVolume", async () => {
      await share("volumes", "idlevol", "bob", "USER");
      await ok(pod(bob, { pod_id: "bobidle", volume_mounts: { "/idle": { type: "tapisvolume", source_id: "idlevol" } } }));
      await ok(svc.api("DELETE", "/v3/pods/volumes/idlevol/permissions/bob", { token: alice }));
      await ok(svc.api("GET", "/v3/pods/bobidle/start", { token: bob }));
      await svc.waitForStatus(bob, "bobidle", "ERROR", 20_000);
      const logs = (await ok(svc.api("GET", "/v3/pods/bobidle/logs", { token: bob }))).action_logs as string[];
      assert.ok(logs.some((line) => line.includes("volume_mounts./idle.source_id: USER permission on volume 'idlevol' is required to mount it read-write; bob has no permission.")), JSON.stringify(logs));
    });
  });
});

/** Who may see which mounting pods: all of them with ADMIN on the volume, else those the caller may read. */
describe("authorization of mounted_by", () => {
  let svc: TestService;
  let alice: string;
  let other: TrustedTenant;

  before(async () => {
    other = await trustedTenant();
    svc = await startTestService({ PODS_TENANT_KEYS_FILE: other.keysFile });
    alice = await svc.token("alice");
  });
  after(() => svc.stop());

  const callers = ["owner", "ADMIN", "USER", "READ", "none", "other tenant", "service admin"] as const;
  // prettier-ignore
  const expected: Record<(typeof callers)[number], [number, string[] | null]> = {
    "owner":         [200, ["hidden", "shown"]],
    "ADMIN":         [200, ["hidden", "shown"]],
    "USER":          [200, ["shown"]],
    "READ":          [200, ["shown"]],
    "none":          [403, null],
    "other tenant":  [404, null],
    "service admin": [200, ["hidden", "shown"]],
  };

  it("answers GET /pods/volumes/{volume_id} with the mounting pods each caller may see: owner 200, ADMIN 200, USER 200, READ 200, none 403, other tenant 404, service admin 200", async () => {
    const failures: string[] = [];
    let n = 0;
    for (const caller of callers) {
      const volumeId = `seen${++n}`;
      assert.equal((await svc.api("POST", "/v3/pods/volumes", { token: alice, body: { volume_id: volumeId } })).status, 200);
      await waitForStorageStatus(svc.api, alice, `/v3/pods/volumes/${volumeId}`, "AVAILABLE");
      for (const name of ["hidden", "shown"]) {
        const created = await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: `${name}${n}`, image: "busybox", status_requested: "OFF", volume_mounts: { "/v": { type: "tapisvolume", source_id: volumeId } } } });
        assert.equal(created.status, 200, created.body.message);
      }
      // bob may read the pod "shown" but not "hidden".
      await svc.api("POST", `/v3/pods/shown${n}/permissions`, { token: alice, body: { user: "bob", level: "READ" } });
      if (["ADMIN", "USER", "READ"].includes(caller)) await svc.api("POST", `/v3/pods/volumes/${volumeId}/permissions`, { token: alice, body: { user: "bob", level: caller } });
      const token = caller === "owner" ? alice : caller === "service admin" ? await svc.token("admin") : caller === "other tenant" ? await other.token("bob") : await svc.token("bob");
      const answer = await svc.api("GET", `/v3/pods/volumes/${volumeId}`, { token });
      const [status, pods] = expected[caller];
      if (answer.status !== status) {
        failures.push(`${caller}: answered ${answer.status} (${answer.body.message}), expected ${status}`);
        continue;
      }
      if (pods) {
        const seen = (answer.body.result.mounted_by as Json[]).map((use) => use.pod_id.replace(/\d+$/, ""));
        if (JSON.stringify(seen) !== JSON.stringify(pods)) failures.push(`${caller}: saw ${JSON.stringify(seen)}, expected ${JSON.stringify(pods)}`);
      }
    }
    assert.deepEqual(failures, [], failures.join("\n"));
  });
});
