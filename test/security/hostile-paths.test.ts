import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { lstat, mkdir, readFile, readdir, readlink, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startTestService, type TestService } from "../support/test-service.js";
import { trustedTenant } from "../support/tokens.js";
import { rawRequest, storedFolder, uploadFile, waitForStorageStatus } from "../support/volume-files.js";

/**
 * Every path names a place inside its volume. Hostile ones — `..`, absolute
 * paths, symbolic links pointing out (made inside the volume, as a pod
 * could), NUL and control characters, over-long names, backslashes, zip
 * entries that would escape — are refused with 400, and nothing outside the
 * volume is read or written: files planted outside keep their bytes and
 * their access time.
 */
describe("hostile paths in volumes", function () {
  this.timeout(60_000);
  let svc: TestService;
  let alice: string;
  let volume: string;
  let theirFolder: string;
  let outsideFile: string;
  const planted = new Map<string, { content: Buffer; atimeMs: number; mtimeMs: number }>();

  /** Paths sent as they are (no client-side normalisation), and the rule each breaks. */
  // prettier-ignore
  const hostileReads: [string, RegExp][] = [
    ["..",                                              /must not contain '\.' or '\.\.'/],
    ["../../other/theirvol/secret.txt",                 /must not contain '\.' or '\.\.'/],
    ["data/../../../other/theirvol/secret.txt",         /must not contain '\.' or '\.\.'/],
    ["%2E%2E/%2E%2E/other/theirvol/secret.txt",         /must not contain '\.' or '\.\.'/],
    ["..%2F..%2Fother%2Ftheirvol%2Fsecret.txt",         /must not contain '\.' or '\.\.'/],
    ["%2Fetc%2Fpasswd",                                 /must be relative to the volume's root/],
    ["%2F%2Fetc%2Fpasswd",                              /must be relative to the volume's root/],
    ["etc/passwd",                                      /'etc' is a symbolic link/],
    ["passwd",                                          /'passwd' is a symbolic link/],
    ["theirs/secret.txt",                               /'theirs' is a symbolic link/],
    ["theirsabs/secret.txt",                            /'theirsabs' is a symbolic link/],
    ["outside",                                         /'outside' is a symbolic link/],
    ["loop",                                            /'loop' is a symbolic link/],
    ["data/up/data/ok.txt",                             /'data\/up' is a symbolic link/],
    ["data%00.txt",                                     /must not contain control characters/],
    ["data/ok.txt%00.png",                              /must not contain control characters/],
    ["data/%0Aevil",                                    /must not contain control characters/],
    ["a".repeat(256),                                   /each name must be at most 255 bytes/],
    [`${"abc/".repeat(1100)}x`,                         /must be at most 4096 bytes/],
    ["..%5C..%5Cother%5Ctheirvol%5Csecret.txt",         /must not contain '\\'/],
    [".",                                               /must not contain '\.' or '\.\.'/],
    ["data/./ok.txt",                                   /must not contain '\.' or '\.\.'/],
    ["theirs?zip=true",                                 /'theirs' is a symbolic link/],
    ["etc?zip=true",                                    /'etc' is a symbolic link/],
    ["zipslip?zip=true",                                /entry 'zipslip\/\.\.\\\.\.\\evil\.txt' would escape the folder when unzipped/],
  ];

  // prettier-ignore
  const hostileWrites: [string, RegExp][] = [
    ["../../other/theirvol/planted.txt",                /must not contain '\.' or '\.\.'/],
    ["..",                                              /must not contain '\.' or '\.\.'/],
    ["%2Ftmp%2Fpods-planted",                           /must be relative to the volume's root/],
    ["etc/pods-hacked",                                 /'etc' is a symbolic link/],
    ["theirs/planted.txt",                              /'theirs' is a symbolic link/],
    ["theirsabs/planted.txt",                           /'theirsabs' is a symbolic link/],
    ["passwd",                                          /'passwd' is a symbolic link/],
    ["outside",                                         /'outside' is a symbolic link/],
    ["loop/x",                                          /'loop' is a symbolic link/],
    ["data%00x",                                        /must not contain control characters/],
    ["a%5Cb",                                           /must not contain '\\'/],
    ["b".repeat(300),                                   /each name must be at most 255 bytes/],
  ];

  before(async () => {
    const other = await trustedTenant();
    svc = await startTestService({ PODS_TENANT_KEYS_FILE: other.keysFile });
    alice = await svc.token("alice");
    const carol = await other.token("carol");
    volume = "hostvol";
    for (const [token, id] of [[alice, volume], [carol, "theirvol"]] as const) {
      assert.equal((await svc.api("POST", "/v3/pods/volumes", { token, body: { volume_id: id } })).status, 200);
      await waitForStorageStatus(svc.api, token, `/v3/pods/volumes/${id}`, "AVAILABLE");
    }
    assert.equal((await uploadFile(svc.baseUrl, carol, "/v3/pods/volumes/theirvol/upload/secret.txt", Buffer.from("carol's secret\n"))).status, 200);
    assert.equal((await uploadFile(svc.baseUrl, alice, `/v3/pods/volumes/${volume}/upload/data/ok.txt`, Buffer.from("fine\n"))).status, 200);

    // What a pod could make inside the volume it mounts.
    const mine = storedFolder(svc.dataDir, "volumes", "dev", volume);
    theirFolder = storedFolder(svc.dataDir, "volumes", "other", "theirvol");
    outsideFile = join(svc.dataDir, "outside.txt");
    await writeFile(outsideFile, "outside the volume\n");
    await symlink("/etc", join(mine, "etc"));
    await symlink("/etc/passwd", join(mine, "passwd"));
    await symlink("../../other/theirvol", join(mine, "theirs"));
    await symlink(theirFolder, join(mine, "theirsabs"));
    await symlink(outsideFile, join(mine, "outside"));
    await symlink("loop", join(mine, "loop"));
    await symlink("..", join(mine, "data", "up"));
    await mkdir(join(mine, "zipslip"));
    await writeFile(join(mine, "zipslip", "..\\..\\evil.txt"), "would land outside when unzipped\n");
    await mkdir(join(mine, "mixed"));
    await writeFile(join(mine, "mixed", "ok.txt"), "kept\n");
    await symlink("/etc", join(mine, "mixed", "etc"));

    // Files outside the volume: unread means their access time (older than their change time, so any read would move it) stays.
    for (const file of [outsideFile, join(theirFolder, "secret.txt")]) {
      const content = await readFile(file);
      const before = await stat(file);
      await utimes(file, new Date(before.mtimeMs - 86_400_000), new Date(before.mtimeMs));
      const held = await stat(file);
      planted.set(file, { content, atimeMs: held.atimeMs, mtimeMs: held.mtimeMs });
    }
  });
  after(() => svc.stop());

  it(`refuses ${hostileReads.length} hostile paths to read, each with 400 naming the path`, async () => {
    const failures: string[] = [];
    for (const [path, rule] of hostileReads) {
      for (const base of [`/v3/pods/volumes/${volume}/contents/`, `/v3/volumes/${volume}/files/`]) {
        const answer = await rawRequest(svc.baseUrl, "GET", base + path, { token: alice });
        const message = answer.json?.message ?? answer.body.toString().slice(0, 80);
        if (answer.status !== 400 || !/^path: /.test(message) || !rule.test(message)) failures.push(`${base}${path.slice(0, 60)}: ${answer.status} ${message}`);
      }
    }
    assert.deepEqual(failures, [], failures.join("\n"));
  });

  it(`refuses ${hostileWrites.length} hostile paths to write, each with 400 naming the path, and writes nothing anywhere`, async () => {
    const failures: string[] = [];
    for (const [path, rule] of hostileWrites) {
      const answer = await uploadFile(svc.baseUrl, alice, `/v3/pods/volumes/${volume}/upload/${path}`, Buffer.from("planted by a hostile upload\n"));
      const message = answer.json?.message ?? "";
      if (answer.status !== 400 || !/^path: /.test(message) || !rule.test(message)) failures.push(`${path.slice(0, 60)}: ${answer.status} ${message}`);
    }
    assert.deepEqual(failures, [], failures.join("\n"));
    assert.ok(!existsSync("/etc/pods-hacked"));
    assert.ok(!existsSync("/tmp/pods-planted"));
    assert.deepEqual((await readdir(theirFolder)).sort(), ["secret.txt"]);
    const mine = storedFolder(svc.dataDir, "volumes", "dev", volume);
    assert.equal(await readlink(join(mine, "passwd")), "/etc/passwd", "the link was not replaced or written through");
    assert.equal(await readlink(join(mine, "outside")), outsideFile);
  });

  it("zipsAFolderWithoutFollowingTheLinksInIt", async () => {
    const answer = await rawRequest(svc.baseUrl, "GET", `/v3/pods/volumes/${volume}/contents/mixed?zip=true`, { token: alice });
    assert.equal(answer.status, 200, answer.json?.message);
    const names = zipEntryNames(answer.body);
    assert.deepEqual(names.sort(), ["mixed/", "mixed/ok.txt"]);
  });

  it("refusesSnapshotSourcesAndDestinationsOutsideTheVolume", async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ source_volume_path: "../other/theirvol" }, /source_volume_path: must not contain '\.' or '\.\.'/],
      [{ source_volume_path: "theirs" }, /source_volume_path: 'theirs' is a symbolic link/],
      [{ source_volume_path: "etc" }, /source_volume_path: 'etc' is a symbolic link/],
      [{ source_volume_path: "data/ok.txt", destination_path: "../../x.txt" }, /destination_path: must not contain '\.' or '\.\.'/],
      [{ source_volume_path: "data\u0000" }, /source_volume_path: must not contain control characters/],
    ];
    for (const [fields, pattern] of cases) {
      const answer = await svc.api("POST", "/v3/pods/snapshots", { token: alice, body: { snapshot_id: "hostilesnap", source_volume_id: volume, ...fields } });
      assert.equal(answer.status, 400, `${JSON.stringify(fields)}: ${answer.body.message}`);
      assert.match(answer.body.message, pattern);
    }
    assert.equal((await svc.api("GET", "/v3/pods/snapshots/hostilesnap", { token: alice })).status, 404);
  });

  it("refusesToStartAPodWhoseSubPathIsALinkOutOfTheVolume", async () => {
    const created = await svc.api("POST", "/v3/pods", {
      token: alice,
      body: { pod_id: "linkmount", image: "busybox", volume_mounts: { "/mnt/theirs": { type: "tapisvolume", source_id: volume, sub_path: "theirs" } } },
    });
    assert.equal(created.status, 200, created.body.message);
    await svc.waitForStatus(alice, "linkmount", "ERROR", 20_000);
    const logs = (await svc.api("GET", "/v3/pods/linkmount/logs", { token: alice })).body.result.action_logs as string[];
    assert.ok(logs.some((line) => /volume_mounts\.\/mnt\/theirs: sub_path 'theirs' is a symbolic link/.test(line)), JSON.stringify(logs));
  });

  it("leftEveryFileOutsideTheVolumeUnchangedAndUnread", async () => {
    for (const [file, held] of planted) {
      const now = await stat(file);
      assert.equal(now.mtimeMs, held.mtimeMs, `${file} was written`);
      assert.equal(now.atimeMs, held.atimeMs, `${file} was read`);
      assert.deepEqual(await readFile(file), held.content, `${file} changed`);
    }
    assert.ok((await lstat(join(storedFolder(svc.dataDir, "volumes", "dev", volume), "etc"))).isSymbolicLink());
  });
});

/** The names in a zip's central directory. */
function zipEntryNames(zip: Buffer): string[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, "not a zip");
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    names.push(zip.subarray(at + 46, at + 46 + nameLength).toString("utf8"));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}
