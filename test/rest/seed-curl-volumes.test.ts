import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startTestService, type TestService } from "../support/test-service.js";

const run = promisify(execFile);

/**
 * The curl examples of the seed docs' Volumes and Snapshots sections, as
 * written: only https://tacc.tapis.io becomes the service's URL, $JWT a
 * token, and /path/to/local/file.sql a local file.
 */
describe("the docs' curl examples for volumes and snapshots", function () {
  this.timeout(60_000);
  let svc: TestService;
  let jwt: string;
  let dir: string;
  let localFile: string;

  before(async () => {
    svc = await startTestService();
    jwt = await svc.token("alice");
    dir = await mkdtemp(join(tmpdir(), "pods-seed-curl-"));
    localFile = join(dir, "file.sql");
    await writeFile(localFile, "create table t (id int);\n");
  });
  after(async () => {
    await svc.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs one documented curl command; its status and body. */
  async function curl(args: string[]): Promise<{ status: number; body: Buffer }> {
    const filled = args.map((arg) => arg.replace("https://tacc.tapis.io", svc.baseUrl).replace("$JWT", jwt).replace("/path/to/local/file.sql", localFile));
    const { stdout } = await run("curl", ["--silent", "--show-error", "--write-out", "\n%{http_code}", ...filled], { encoding: "buffer", maxBuffer: 64 * 1024 * 1024 });
    const cut = stdout.lastIndexOf(0x0a);
    return { status: Number(stdout.subarray(cut + 1).toString()), body: stdout.subarray(0, cut) };
  }
  const json = (body: Buffer) => JSON.parse(body.toString()) as { status: string; message: string; result: any };

  it("createsAVolumeAttachesItListsUploadsAndGetsItsContents", async () => {
    const pod = await curl(["--request", "POST", "--url", "https://tacc.tapis.io/v3/pods", "--header", "Content-Type: application/json", "--header", "X-Tapis-Token: $JWT", "--data", '{"pod_id": "mypod", "template": "neo4j"}']);
    assert.equal(pod.status, 200, pod.body.toString());

    const volume = await curl([
      "--request", "POST", "--url", "https://tacc.tapis.io/v3/volumes", "--header", "Content-Type: application/json", "--header", "X-Tapis-Token: $JWT",
      "--data", '{"volume_id": "myvolume", "description": "My persistent volume", "size_limit": 1024}',
    ]);
    assert.equal(volume.status, 200, volume.body.toString());
    assert.equal(json(volume.body).result.volume_id, "myvolume");

    const attached = await curl([
      "--request", "POST", "--url", "https://tacc.tapis.io/v3/pods/mypod/volumes", "--header", "Content-Type: application/json", "--header", "X-Tapis-Token: $JWT",
      "--data", '{"volume_mounts": {"/mnt/data": {"type": "tapisvolume", "source_id": "myvolume"}}}',
    ]);
    assert.equal(attached.status, 200, attached.body.toString());
    assert.equal(json(attached.body).result.volume_mounts["/mnt/data"].source_id, "myvolume");

    const empty = await curl(["--request", "GET", "--url", "https://tacc.tapis.io/v3/volumes/myvolume/files", "--header", "X-Tapis-Token: $JWT"]);
    assert.equal(empty.status, 200, empty.body.toString());
    assert.deepEqual(json(empty.body).result, []);

    const uploaded = await curl(["--request", "POST", "--url", "https://tacc.tapis.io/v3/volumes/myvolume/files/data/file.sql", "--header", "X-Tapis-Token: $JWT", "--form", "file=@/path/to/local/file.sql"]);
    assert.equal(uploaded.status, 200, uploaded.body.toString());
    assert.equal(json(uploaded.body).result, "Wrote 25 bytes to data/file.sql.");

    const contents = await curl(["--request", "GET", "--url", "https://tacc.tapis.io/v3/volumes/myvolume/files/data", "--header", "X-Tapis-Token: $JWT"]);
    assert.equal(contents.status, 200, contents.body.toString());
    assert.equal(contents.body.subarray(0, 4).toString("latin1"), "PK\u0003\u0004", "the folder comes as a zip");
    const file = await curl(["--request", "GET", "--url", "https://tacc.tapis.io/v3/volumes/myvolume/files/data/file.sql", "--header", "X-Tapis-Token: $JWT"]);
    assert.equal(file.body.toString(), "create table t (id int);\n");
  });

  it("createsASnapshotListsItsFilesAndGetsItsContents", async () => {
    const snapshot = await curl([
      "--request", "POST", "--url", "https://tacc.tapis.io/v3/snapshots", "--header", "Content-Type: application/json", "--header", "X-Tapis-Token: $JWT",
      "--data", '{"snapshot_id": "mysnapshot", "source_volume_id": "myvolume", "source_volume_path": "/data", "description": "Backup of my data"}',
    ]);
    assert.equal(snapshot.status, 200, snapshot.body.toString());
    assert.equal(json(snapshot.body).result.status, "AVAILABLE", "a small copy is made before the answer");

    const files = await curl(["--request", "GET", "--url", "https://tacc.tapis.io/v3/snapshots/mysnapshot/files", "--header", "X-Tapis-Token: $JWT"]);
    assert.equal(files.status, 200, files.body.toString());
    assert.deepEqual((json(files.body).result as { path: string }[]).map((f) => f.path), ["data", "data/file.sql"]);

    const contents = await curl(["--request", "GET", "--url", "https://tacc.tapis.io/v3/snapshots/mysnapshot/files/data", "--header", "X-Tapis-Token: $JWT"]);
    assert.equal(contents.status, 200, contents.body.toString());
    assert.equal(contents.body.subarray(0, 4).toString("latin1"), "PK\u0003\u0004");
  });
});
