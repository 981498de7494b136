import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { podId, startTestService, type TestService } from "../support/test-service.js";
import { rawRequest, storedFolder, uploadFile, waitForStorageStatus } from "../support/volume-files.js";

/**
 * Snapshots: a real point-in-time copy of a volume's file or folder, made by
 * the agent on the cluster's storage, read-only afterwards, with its files
 * listed and downloaded like a volume's.
 */
describe("snapshots over REST", function () {
  this.timeout(60_000);
  let svc: TestService;
  let alice: string;
  let bob: string;

  before(async () => {
    svc = await startTestService();
    alice = await svc.token("alice");
    bob = await svc.token("bob");
    await volumeWith("snapvol", { "data/file.sql": "version 1\n", "data/other.txt": "other\n" });
  });
  after(() => svc.stop());

  async function volumeWith(id: string, files: Record<string, string | Buffer>, sizeLimit = 1024): Promise<void> {
    assert.equal((await svc.api("POST", "/v3/pods/volumes", { token: alice, body: { volume_id: id, size_limit: sizeLimit } })).status, 200);
    await waitForStorageStatus(svc.api, alice, `/v3/pods/volumes/${id}`, "AVAILABLE");
    for (const [path, content] of Object.entries(files)) {
      const answer = await uploadFile(svc.baseUrl, alice, `/v3/pods/volumes/${id}/upload/${path}`, Buffer.from(content));
      assert.equal(answer.status, 200, answer.json?.message);
    }
  }

  const create = (token: string, body: Record<string, unknown>, path = "/v3/pods/snapshots") => svc.api("POST", path, { token, body });
  const paths = async (id: string) => ((await svc.api("GET", `/v3/pods/snapshots/${id}/list`, { token: alice })).body.result as { path: string }[]).map((f) => f.path).sort();
  const contents = async (path: string) => (await rawRequest(svc.baseUrl, "GET", path, { token: alice })).body.toString();

  it("makesAPointInTimeCopyThatLaterChangesToTheVolumeDoNotTouch", async () => {
    const created = await create(alice, { snapshot_id: "mysnapshot", source_volume_id: "snapvol", source_volume_path: "/data", description: "Backup of my data" });
    assert.equal(created.status, 200, created.body.message);
    assert.equal(created.body.message, "Snapshot created successfully.");
    const shown = created.body.result;
    assert.deepEqual(
      { ...shown, status: undefined, size: undefined, creation_ts: undefined, update_ts: undefined },
      {
        snapshot_id: "mysnapshot",
        source_volume_id: "snapvol",
        source_volume_path: "/data",
        destination_path: "",
        description: "Backup of my data",
        size_limit: 1024,
        cron: "",
        retention_policy: "",
        size: undefined,
        status: undefined,
        creation_ts: undefined,
        update_ts: undefined,
        status_reason: "",
        mounted_by: [],
      },
    );
    const available = await waitForStorageStatus(svc.api, alice, "/v3/pods/snapshots/mysnapshot", "AVAILABLE");
    assert.equal(available.size, 1);
    assert.ok(existsSync(storedFolder(svc.dataDir, "snapshots", "dev", "mysnapshot")));

    await uploadFile(svc.baseUrl, alice, "/v3/pods/volumes/snapvol/upload/data/file.sql", Buffer.from("version 2\n"));
    await uploadFile(svc.baseUrl, alice, "/v3/pods/volumes/snapvol/upload/data/new.txt", Buffer.from("new\n"));
    assert.deepEqual(await paths("mysnapshot"), ["data", "data/file.sql", "data/other.txt"]);
    assert.equal(await contents("/v3/pods/snapshots/mysnapshot/contents/data/file.sql"), "version 1\n");
    assert.equal(await contents("/v3/pods/volumes/snapvol/contents/data/file.sql"), "version 2\n");
  });

  it("worksThroughTheSeedDocsCurlPaths", async () => {
    const created = await create(alice, { snapshot_id: "seedsnapshot", source_volume_id: "snapvol", source_volume_path: "/data", description: "Backup of my data" }, "/v3/snapshots");
    assert.equal(created.status, 200, created.body.message);
    await waitForStorageStatus(svc.api, alice, "/v3/pods/snapshots/seedsnapshot", "AVAILABLE");
    const listed = await svc.api("GET", "/v3/snapshots/seedsnapshot/files", { token: alice });
    assert.equal(listed.body.message, "Snapshot files retrieved successfully.");
    assert.ok((listed.body.result as { path: string }[]).some((f) => f.path === "data/new.txt"));
    assert.equal(await contents("/v3/snapshots/seedsnapshot/files/data/file.sql"), "version 2\n");
    // As the docs fetch it: a folder comes as a zip, asked for or not.
    const zipped = await rawRequest(svc.baseUrl, "GET", "/v3/snapshots/seedsnapshot/files/data", { token: alice });
    assert.equal(zipped.headers["content-type"], "application/zip");
    const dir = await mkdtemp(join(tmpdir(), "pods-snapshot-zip-"));
    try {
      await writeFile(join(dir, "data.zip"), zipped.body);
      assert.deepEqual(execFileSync("unzip", ["-Z1", join(dir, "data.zip")], { encoding: "utf8" }).trim().split("\n").sort(), ["data/", "data/file.sql", "data/new.txt", "data/other.txt"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("copiesASingleFileToItsDestinationPath", async () => {
    const missing = await create(alice, { snapshot_id: "onefile", source_volume_id: "snapvol", source_volume_path: "/data/other.txt" });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.message, "destination_path: is required when source_volume_path is a file");
    const created = await create(alice, { snapshot_id: "onefile", source_volume_id: "snapvol", source_volume_path: "/data/other.txt", destination_path: "kept/other-copy.txt" });
    assert.equal(created.status, 200, created.body.message);
    await waitForStorageStatus(svc.api, alice, "/v3/pods/snapshots/onefile", "AVAILABLE");
    assert.deepEqual(await paths("onefile"), ["kept", "kept/other-copy.txt"]);
    assert.equal(await contents("/v3/pods/snapshots/onefile/contents/kept/other-copy.txt"), "other\n");
  });

  it("refusesBadInputNamingTheFieldAndTheRuleAndStoresNothing", async () => {
    const base = { snapshot_id: "badsnapshot", source_volume_id: "snapvol", source_volume_path: "/data" };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...base, snapshot_id: "Bad Id" }, /snapshot_id: must be 3-64 lowercase letters and digits, starting with a letter \(got "Bad Id"\)/],
      [{ ...base, source_volume_id: "" }, /source_volume_id: must be 3-64 lowercase letters and digits/],
      [{ ...base, source_volume_id: "nosuchvolume" }, /source_volume_id: volume 'nosuchvolume' does not exist/],
      [{ ...base, source_volume_path: "/nothere" }, /source_volume_path: 'nothere' does not exist in volume 'snapvol'/],
      [{ ...base, cron: "61 * * * *" }, /cron: is not a valid cron expression: Constraint error, got value 61 expected range 0-59/],
      [{ ...base, cron: "* * * * * *" }, /cron: must be a 5-field cron expression \(minute hour day-of-month month day-of-week\); it has 6 fields/],
      [{ ...base, cron: "@daily" }, /cron: must be a 5-field cron expression/],
      [{ ...base, retention_policy: "keep:0" }, /retention_policy: keep:<n> must keep 1 to 1000 snapshots/],
      [{ ...base, retention_policy: "forever" }, /retention_policy: must be keep:<n>, days:<n> or both, comma-separated \(e\.g\. keep:7,days:30\)/],
      [{ ...base, size_limit: 0 }, /size_limit: must be between 1 and 1048576 \(MB\)/],
      [{ ...base, description: "\u00e9" }, /description: must be ASCII/],
      [{ ...base, extra: 1 }, /extra: unknown field/],
    ];
    for (const [body, pattern] of cases) {
      const answer = await create(alice, body);
      assert.equal(answer.status, 400, `${JSON.stringify(body)}: ${answer.body.message}`);
      assert.match(answer.body.message, pattern);
    }
    assert.equal((await svc.api("GET", "/v3/pods/snapshots/badsnapshot", { token: alice })).status, 404);
    assert.ok(!existsSync(storedFolder(svc.dataDir, "snapshots", "dev", "badsnapshot")));
  });

  it("letsOnlyAUserOfTheVolumeSnapshotItAndMakesThemItsAdmin", async () => {
    await svc.api("POST", "/v3/pods/volumes/snapvol/permissions", { token: alice, body: { user: "bob", level: "READ" } });
    const reader = await create(bob, { snapshot_id: "bobsnapshot", source_volume_id: "snapvol", source_volume_path: "/data" });
    assert.equal(reader.status, 403, reader.body.message);
    assert.equal(reader.body.message, "source_volume_id: USER permission on volume 'snapvol' is required to snapshot it; you have READ");
    await svc.api("POST", "/v3/pods/volumes/snapvol/permissions", { token: alice, body: { user: "bob", level: "USER" } });
    const user = await create(bob, { snapshot_id: "bobsnapshot", source_volume_id: "snapvol", source_volume_path: "/data" });
    assert.equal(user.status, 200, user.body.message);
    assert.deepEqual((await svc.api("GET", "/v3/pods/snapshots/bobsnapshot/permissions", { token: bob })).body.result.permissions, ["bob:ADMIN"]);
    assert.equal((await svc.api("GET", "/v3/pods/snapshots/bobsnapshot", { token: alice })).status, 403);
  });

  it("endsInErrorWithTheReasonWhenTheSourceHoldsMoreThanItsSizeLimit", async () => {
    await volumeWith("bigvol", { "big.bin": Buffer.alloc(2 * 1024 * 1024) });
    const created = await create(alice, { snapshot_id: "toosmall", source_volume_id: "bigvol", source_volume_path: "/", size_limit: 1 });
    assert.equal(created.status, 200, created.body.message);
    const failed = await waitForStorageStatus(svc.api, alice, "/v3/pods/snapshots/toosmall", "ERROR");
    assert.equal(failed.status_reason, "copying '/' of volume 'bigvol' failed: the source holds more than the size_limit of 1 MB (1048576 bytes)");
    assert.ok(!existsSync(storedFolder(svc.dataDir, "snapshots", "dev", "toosmall")), "nothing of the copy is left");
    const files = await svc.api("GET", "/v3/pods/snapshots/toosmall/list", { token: alice });
    assert.equal(files.status, 400);
    assert.match(files.body.message, /^snapshot 'toosmall' is ERROR \(copying .*\); its files can be reached once it is AVAILABLE$/);
  });

  it("updatesDescriptionCronAndRetentionAndRefusesBadValues", async () => {
    const updated = await svc.api("PUT", "/v3/pods/snapshots/mysnapshot", { token: alice, body: { description: "nightly", cron: "0 3 * * *", retention_policy: "keep:7,days:30" } });
    assert.equal(updated.status, 200, updated.body.message);
    assert.equal(updated.body.message, "Snapshot updated successfully.");
    assert.equal(updated.body.result.description, "nightly");
    assert.equal(updated.body.result.cron, "0 3 * * *");
    assert.equal(updated.body.result.retention_policy, "keep:7,days:30");
    assert.equal(updated.body.result.source_volume_path, "/data");
    const bad = await svc.api("PUT", "/v3/pods/snapshots/mysnapshot", { token: alice, body: { cron: "every night" } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /^cron: must be a 5-field cron expression/);
    const source = await svc.api("PUT", "/v3/pods/snapshots/mysnapshot", { token: alice, body: { source_volume_id: "bigvol" } });
    assert.equal(source.status, 400);
    assert.match(source.body.message, /source_volume_id: unknown field/);
    assert.equal((await svc.api("GET", "/v3/pods/snapshots/mysnapshot", { token: alice })).body.result.cron, "0 3 * * *");
  });

  it("refusesAnUpdateThatChangesNothing", async () => {
    const empty = await svc.api("PUT", "/v3/pods/snapshots/mysnapshot", { token: alice, body: {} });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.message, "snapshot 'mysnapshot' is unchanged: the request names no field to change");
    const same = await svc.api("PUT", "/v3/pods/snapshots/mysnapshot", { token: alice, body: { description: "nightly", cron: "0 3 * * *" } });
    assert.equal(same.status, 400);
    assert.equal(same.body.message, "snapshot 'mysnapshot' is unchanged: description, cron already hold the values given");
  });

  it("answers404And409AsVolumesDo", async () => {
    assert.equal((await svc.api("GET", "/v3/pods/snapshots/nosuchsnapshot", { token: alice })).body.message, "snapshot 'nosuchsnapshot' not found");
    const again = await create(alice, { snapshot_id: "mysnapshot", source_volume_id: "snapvol", source_volume_path: "/data" });
    assert.equal(again.status, 409);
    assert.equal(again.body.message, "snapshot 'mysnapshot' already exists");
  });

  it("sharesWithUserLevelGrantsKeepsOneAdminAndAnswers404ForWhatIsNotThere", async () => {
    const set = await svc.api("POST", "/v3/pods/snapshots/onefile/permissions", { token: alice, body: { user: "bob", level: "READ" } });
    assert.equal(set.status, 200, set.body.message);
    assert.equal(set.body.message, "Snapshot permission set successfully.");
    assert.deepEqual(set.body.result.permissions, ["alice:ADMIN", "bob:READ"]);
    const bad = await svc.api("POST", "/v3/pods/snapshots/onefile/permissions", { token: alice, body: { user: "bob", level: "OWNER" } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /level: must be one of READ, USER, ADMIN/);
    const last = await svc.api("DELETE", "/v3/pods/snapshots/onefile/permissions/alice", { token: alice });
    assert.equal(last.status, 400);
    assert.match(last.body.message, /alice is the last ADMIN of snapshot 'onefile'/);
    assert.equal((await svc.api("DELETE", "/v3/pods/snapshots/onefile/permissions/nobody", { token: alice })).status, 404);
    for (const [method, path] of [["PUT", ""], ["DELETE", ""], ["GET", "/list"], ["GET", "/permissions"], ["GET", "/contents/a.txt"]] as const) {
      const answer = await svc.api(method, `/v3/pods/snapshots/nosuchsnapshot${path}`, { token: alice, body: method === "PUT" ? { description: "x" } : undefined });
      assert.equal(answer.status, 404, `${method} ${path}: ${answer.body.message}`);
      assert.equal(answer.body.message, "snapshot 'nosuchsnapshot' not found");
    }
  });

  it("isReadOnly", async () => {
    const upload = await uploadFile(svc.baseUrl, alice, "/v3/pods/snapshots/mysnapshot/upload/data/file.sql", Buffer.from("changed\n"));
    assert.equal(upload.status, 404);
    const mount = await svc.api("POST", "/v3/pods", {
      token: alice,
      body: { pod_id: podId("rw"), image: "busybox", volume_mounts: { "/snap": { type: "tapissnapshot", source_id: "mysnapshot", read_only: false } } },
    });
    assert.equal(mount.status, 400);
    assert.equal(mount.body.message, "volume_mounts./snap.read_only: tapissnapshot mounts are read-only");
    assert.equal(await contents("/v3/pods/snapshots/mysnapshot/contents/data/file.sql"), "version 1\n");
  });

  it("deletesTheSnapshotAndItsFolderButNotWhileAPodNotStoppedMountsIt", async () => {
    const pod = podId("reader");
    const created = await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: pod, image: "busybox", volume_mounts: { "/snap": { type: "tapissnapshot", source_id: "seedsnapshot" } } } });
    assert.equal(created.status, 200, created.body.message);
    await svc.waitForStatus(alice, pod, "AVAILABLE");
    const refused = await svc.api("DELETE", "/v3/pods/snapshots/seedsnapshot", { token: alice });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.message, `snapshot 'seedsnapshot' is mounted by pods that are not STOPPED: ${pod}; stop them first`);
    await svc.api("GET", `/v3/pods/${pod}/stop`, { token: alice });
    await svc.waitForStatus(alice, pod, "STOPPED");
    const deleted = await svc.api("DELETE", "/v3/pods/snapshots/seedsnapshot", { token: alice });
    assert.equal(deleted.status, 200, deleted.body.message);
    assert.equal(deleted.body.message, "Snapshot deleted successfully.");
    assert.equal((await svc.api("GET", "/v3/pods/snapshots/seedsnapshot", { token: alice })).status, 404);
    assert.ok(!existsSync(storedFolder(svc.dataDir, "snapshots", "dev", "seedsnapshot")));
  });
});
