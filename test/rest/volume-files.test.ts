import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestService, type TestService } from "../support/test-service.js";
import { rawRequest, storedFolder, uploadFile, waitForStorageStatus } from "../support/volume-files.js";

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/**
 * A volume's files: uploaded (multipart, streamed), listed, downloaded byte
 * for byte or zipped on the fly, within the volume's size_limit, through the
 * spec's paths and the seed docs' curl paths.
 */
describe("files of a volume", () => {
  let svc: TestService;
  let alice: string;

  before(async () => {
    svc = await startTestService();
    alice = await svc.token("alice");
    for (const [id, limit] of [["filesvol", 8], ["smallvol", 1]] as const) {
      assert.equal((await svc.api("POST", "/v3/pods/volumes", { token: alice, body: { volume_id: id, size_limit: limit } })).status, 200);
      await waitForStorageStatus(svc.api, alice, `/v3/pods/volumes/${id}`, "AVAILABLE");
    }
  });
  after(() => svc.stop());

  const download = (path: string) => rawRequest(svc.baseUrl, "GET", path, { token: alice });
  const listing = async (path: string) => {
    const answer = await svc.api("GET", path, { token: alice });
    assert.equal(answer.status, 200, answer.body.message);
    return answer.body.result as { path: string; name: string; type: string; size: number; lastModified: string; nativePermissions: string }[];
  };

  it("uploadsListsAndDownloadsAFileByteForByte", async () => {
    const content = randomBytes(1536 * 1024 + 3);
    const uploaded = await uploadFile(svc.baseUrl, alice, "/v3/pods/volumes/filesvol/upload/data/file.sql", content);
    assert.equal(uploaded.status, 200, uploaded.json?.message);
    assert.equal(uploaded.json?.message, "File uploaded to volume 'filesvol'.");
    assert.equal(uploaded.json?.result, `Wrote ${content.length} bytes to data/file.sql.`);

    const files = await listing("/v3/pods/volumes/filesvol/list");
    const folder = files.find((f) => f.path === "data");
    assert.deepEqual({ ...folder, lastModified: undefined }, { path: "data", name: "data", type: "dir", size: 0, lastModified: undefined, nativePermissions: "rwxr-xr-x" });
    const file = files.find((f) => f.path === "data/file.sql")!;
    assert.ok(file, JSON.stringify(files));
    assert.equal(file.name, "file.sql");
    assert.equal(file.type, "file");
    assert.equal(file.size, content.length);
    assert.equal(file.nativePermissions, "rw-r--r--");
    assert.ok(Math.abs(Date.parse(file.lastModified) - Date.now()) < 60_000, file.lastModified);

    const fetched = await download("/v3/pods/volumes/filesvol/contents/data/file.sql");
    assert.equal(fetched.status, 200);
    assert.equal(fetched.headers["content-type"], "application/octet-stream");
    assert.equal(fetched.headers["content-length"], String(content.length));
    assert.match(String(fetched.headers["content-disposition"]), /filename="file\.sql"/);
    assert.equal(sha256(fetched.body), sha256(content));

    const volume = (await svc.api("GET", "/v3/pods/volumes/filesvol", { token: alice })).body.result;
    assert.equal(volume.size, 2, "size is the MB in use, rounded up");
  });

  it("worksThroughTheSeedDocsCurlPathsAndTheDoubleSlashTapipySends", async () => {
    const content = Buffer.from("select 1;\n");
    const uploaded = await uploadFile(svc.baseUrl, alice, "/v3/volumes/filesvol/files/data/seed.sql", content);
    assert.equal(uploaded.status, 200, uploaded.json?.message);
    assert.ok((await listing("/v3/volumes/filesvol/files")).some((f) => f.path === "data/seed.sql"));
    assert.deepEqual((await download("/v3/volumes/filesvol/files/data/seed.sql")).body, content);
    assert.deepEqual((await download("/v3/pods/volumes/filesvol/contents//data/seed.sql")).body, content);
    const viaTapipy = await uploadFile(svc.baseUrl, alice, "/v3/pods/volumes/filesvol/upload//data/tapipy.sql", content);
    assert.equal(viaTapipy.json?.result, `Wrote ${content.length} bytes to data/tapipy.sql.`);
  });

  it("replacesAFileOnASecondUpload", async () => {
    await uploadFile(svc.baseUrl, alice, "/v3/pods/volumes/filesvol/upload/notes.txt", Buffer.from("first version, longer\n"));
    await uploadFile(svc.baseUrl, alice, "/v3/pods/volumes/filesvol/upload/notes.txt", Buffer.from("second\n"));
    assert.equal((await download("/v3/pods/volumes/filesvol/contents/notes.txt")).body.toString(), "second\n");
  });

  it("zipsAFolderOnTheFly", async () => {
    const a = randomBytes(200_000);
    const b = Buffer.from("inner file\n");
    await uploadFile(svc.baseUrl, alice, "/v3/pods/volumes/filesvol/upload/tree/a.bin", a);
    await uploadFile(svc.baseUrl, alice, "/v3/pods/volumes/filesvol/upload/tree/sub/b.txt", b);
    const zipped = await download("/v3/pods/volumes/filesvol/contents/tree?zip=true");
    assert.equal(zipped.status, 200, zipped.json?.message);
    assert.equal(zipped.headers["content-type"], "application/zip");
    assert.match(String(zipped.headers["content-disposition"]), /filename="tree\.zip"/);
    const dir = await mkdtemp(join(tmpdir(), "pods-zip-"));
    try {
      await writeFile(join(dir, "tree.zip"), zipped.body);
      const entries = execFileSync("unzip", ["-Z1", join(dir, "tree.zip")], { encoding: "utf8" }).trim().split("\n").sort();
      assert.deepEqual(entries, ["tree/", "tree/a.bin", "tree/sub/", "tree/sub/b.txt"]);
      assert.equal(sha256(execFileSync("unzip", ["-p", join(dir, "tree.zip"), "tree/a.bin"])), sha256(a));
      assert.deepEqual(execFileSync("unzip", ["-p", join(dir, "tree.zip"), "tree/sub/b.txt"]), b);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const single = await download("/v3/pods/volumes/filesvol/contents/tree/sub/b.txt?zip=true");
    assert.equal(single.headers["content-type"], "application/zip");
  });

  it("sendsAFolderAsAZipEvenWithoutZipAndRefusesAMissingFileAndAnUploadOntoAFolder", async () => {
    const folder = await download("/v3/pods/volumes/filesvol/contents/tree");
    assert.equal(folder.status, 200, folder.json?.message);
    assert.equal(folder.headers["content-type"], "application/zip");
    assert.match(String(folder.headers["content-disposition"]), /filename="tree\.zip"/);
    const missing = await download("/v3/pods/volumes/filesvol/contents/tree/missing.txt");
    assert.equal(missing.status, 404);
    assert.equal(missing.json?.message, "file 'tree/missing.txt' not found in volume 'filesvol'");
    const onto = await uploadFile(svc.baseUrl, alice, "/v3/pods/volumes/filesvol/upload/tree", Buffer.from("x"));
    assert.equal(onto.status, 400);
    assert.equal(onto.json?.message, "path: 'tree' is a folder");
    const noFile = await rawRequest(svc.baseUrl, "POST", "/v3/pods/volumes/filesvol/upload/x.txt", { token: alice, body: Buffer.from("--b--\r\n"), headers: { "Content-Type": "multipart/form-data; boundary=b" } });
    assert.equal(noFile.status, 400);
    assert.match(noFile.json!.message, /file: the form must include a file part named 'file'/);
  });

  it("refusesAnUploadThatWouldExceedTheSizeLimitWithTheNumbersAndKeepsNothingOfIt", async () => {
    const first = randomBytes(600 * 1024);
    assert.equal((await uploadFile(svc.baseUrl, alice, "/v3/pods/volumes/smallvol/upload/first.bin", first)).status, 200);
    const tooBig = await uploadFile(svc.baseUrl, alice, "/v3/pods/volumes/smallvol/upload/big.bin", randomBytes(600 * 1024));
    assert.equal(tooBig.status, 413, tooBig.json?.message);
    assert.equal(
      tooBig.json?.message,
      "the upload does not fit in volume 'smallvol': its size_limit is 1 MB (1048576 bytes) and 614400 bytes are in use, so at most 434176 more bytes fit",
    );
    assert.deepEqual((await listing("/v3/pods/volumes/smallvol/list")).map((f) => f.path), ["first.bin"]);
    assert.deepEqual(await readdir(storedFolder(svc.dataDir, "volumes", "dev", "smallvol")), ["first.bin"], "no partial file is left");

    // Replacing a file frees its old bytes; what fits exactly is taken.
    assert.equal((await uploadFile(svc.baseUrl, alice, "/v3/pods/volumes/smallvol/upload/first.bin", randomBytes(1024 * 1024))).status, 200);
    assert.equal((await svc.api("GET", "/v3/pods/volumes/smallvol", { token: alice })).body.result.size, 1);
  });
});
