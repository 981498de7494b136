import assert from "node:assert/strict";
import { open, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { RangeNotSatisfiableSchema } from "../../gen/tapis/pods/v1/common_pb.js";
import { VolumesService } from "../../gen/tapis/pods/v1/volumes_service_pb.js";
import { startTestService, type TestService } from "../support/test-service.js";
import { rawRequest, storedFolder, uploadFile, waitForStorageStatus, type FileAnswer } from "../support/volume-files.js";

const strongTag = /^"[A-Za-z0-9_-]+"$/;

/**
 * Downloads of a volume's or snapshot's file as HTTP (RFC 9110) serves a
 * file: a strong ETag, byte ranges (206, 416), If-Range, If-None-Match
 * (304) and HEAD; a zip is always sent whole, without an ETag.
 */
describe("resumable downloads of volume and snapshot files", function () {
  this.timeout(60_000);
  let svc: TestService;
  let alice: string;
  const content = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 131 + 7) % 256));
  const size = content.length;
  const file = "/v3/pods/volumes/rangevol/contents/data/file.bin";

  before(async () => {
    svc = await startTestService();
    alice = await svc.token("alice");
    assert.equal((await svc.api("POST", "/v3/pods/volumes", { token: alice, body: { volume_id: "rangevol", size_limit: 16 } })).status, 200);
    await waitForStorageStatus(svc.api, alice, "/v3/pods/volumes/rangevol", "AVAILABLE");
    for (const [path, bytes] of [
      ["data/file.bin", content],
      ["data/empty.bin", Buffer.alloc(0)],
      ["tree/a.txt", Buffer.from("a\n")],
    ] as const) {
      const uploaded = await uploadFile(svc.baseUrl, alice, `/v3/pods/volumes/rangevol/upload/${path}`, bytes);
      assert.equal(uploaded.status, 200, uploaded.json?.message);
    }
  });
  after(() => svc.stop());

  const get = (path: string, headers: Record<string, string> = {}, method = "GET") => rawRequest(svc.baseUrl, method, path, { token: alice, headers });
  const etagOf = async (path = file) => String((await get(path)).headers.etag);

  function assertWhole(answer: FileAnswer, expected = content): void {
    assert.equal(answer.status, 200, `${answer.status} ${answer.json?.message ?? ""}`);
    assert.equal(answer.headers["content-length"], String(expected.length));
    assert.equal(answer.headers["content-range"], undefined);
    assert.equal(answer.headers["accept-ranges"], "bytes");
    assert.match(String(answer.headers.etag), strongTag);
    assert.ok(answer.body.equals(expected), `the whole file, not ${answer.body.length} bytes`);
  }

  function assertPart(answer: FileAnswer, first: number, last: number, etag: string): void {
    assert.equal(answer.status, 206, `${answer.status} ${answer.json?.message ?? ""}`);
    assert.equal(answer.headers["content-range"], `bytes ${first}-${last}/${size}`);
    assert.equal(answer.headers["content-length"], String(last - first + 1));
    assert.equal(answer.headers["accept-ranges"], "bytes");
    assert.equal(answer.headers.etag, etag);
    assert.equal(answer.headers["content-type"], "application/octet-stream");
    assert.ok(answer.body.equals(content.subarray(first, last + 1)), `bytes ${first}-${last}, not ${answer.body.length} other bytes`);
  }

  it("sendsAFileWholeWithAStrongEtagAndAcceptRanges", async () => {
    const answer = await get(file);
    assertWhole(answer);
    assert.match(String(answer.headers["content-disposition"]), /filename="file\.bin"/);
    assert.equal((await get(file)).headers.etag, answer.headers.etag, "the same file keeps its ETag");
    assert.notEqual(await etagOf("/v3/pods/volumes/rangevol/contents/data/empty.bin"), answer.headers.etag, "another file has another ETag");
  });

  it("sendsTheBytesFromAnOffsetToTheEnd", async () => {
    const etag = await etagOf();
    assertPart(await get(file, { Range: "bytes=40000-" }), 40_000, size - 1, etag);
    assertPart(await get(file, { Range: "bytes=0-" }), 0, size - 1, etag);
    assertPart(await get(file, { Range: `bytes=${size - 1}-` }), size - 1, size - 1, etag);
  });

  it("sendsABoundedRangeAndCutsALastBytePastTheEnd", async () => {
    const etag = await etagOf();
    assertPart(await get(file, { Range: "bytes=10-19" }), 10, 19, etag);
    assertPart(await get(file, { Range: "bytes=5-5" }), 5, 5, etag);
    assertPart(await get(file, { Range: `bytes=99990-${size + 5000}` }), 99_990, size - 1, etag);
  });

  it("sendsTheLastBytesForASuffixRangeAndAllOfAShorterFile", async () => {
    const etag = await etagOf();
    assertPart(await get(file, { Range: "bytes=-500" }), size - 500, size - 1, etag);
    assertPart(await get(file, { Range: `bytes=-${size + 1}` }), 0, size - 1, etag);
  });

  it("answers416WithTheSizeForARangeNoByteSatisfies", async () => {
    for (const range of [`bytes=${size}-`, `bytes=${size + 10}-${size + 20}`, "bytes=-0", "bytes=99999999999999999999-"]) {
      const answer = await get(file, { Range: range });
      assert.equal(answer.status, 416, `${range}: ${answer.status}`);
      assert.equal(answer.headers["content-range"], `bytes */${size}`, range);
      assert.equal(answer.json?.status, "error");
      assert.match(answer.json?.message ?? "", new RegExp(`range: .*${size} bytes`), range);
    }
    const empty = await get("/v3/pods/volumes/rangevol/contents/data/empty.bin", { Range: "bytes=0-" });
    assert.equal(empty.status, 416);
    assert.equal(empty.headers["content-range"], "bytes */0");
  });

  it("sendsTheWholeFileForSeveralRangesOrAMalformedOne", async () => {
    for (const range of ["bytes=0-9,20-29", "bytes=-5,0-1", "bytes=abc", "items=0-5", "bytes=20-10", "bytes=", "bytes=--5", "bytes=1.5-"]) {
      const answer = await get(file, { Range: range });
      assert.equal(answer.status, 200, `${range}: ${answer.status} ${answer.json?.message ?? ""}`);
      assertWhole(answer);
    }
  });

  it("honoursIfRangeOnlyWithTheCurrentStrongEtag", async () => {
    const etag = await etagOf();
    assertPart(await get(file, { Range: "bytes=100-", "If-Range": etag }), 100, size - 1, etag);
    assertWhole(await get(file, { Range: "bytes=100-", "If-Range": '"another-version"' }));
    assertWhole(await get(file, { Range: "bytes=100-", "If-Range": `W/${etag}` }));
    assertWhole(await get(file, { Range: "bytes=100-", "If-Range": new Date(Date.now() + 3_600_000).toUTCString() }));
  });

  it("answers304WhileTheEtagMatchesIfNoneMatch", async () => {
    const etag = await etagOf();
    for (const ifNoneMatch of [etag, `"other", ${etag}`, `W/${etag}`, "*"]) {
      const answer = await get(file, { "If-None-Match": ifNoneMatch, Range: "bytes=0-9" });
      assert.equal(answer.status, 304, ifNoneMatch);
      assert.equal(answer.headers.etag, etag);
      assert.equal(answer.body.length, 0);
    }
    assertWhole(await get(file, { "If-None-Match": '"other"' }));
  });

  it("answersHeadWithTheHeadersOfTheWholeFileAndNoBody", async () => {
    const etag = await etagOf();
    for (const headers of [{}, { Range: "bytes=10-19" }] as Record<string, string>[]) {
      const answer = await get(file, headers, "HEAD");
      assert.equal(answer.status, 200);
      assert.equal(answer.headers["content-length"], String(size));
      assert.equal(answer.headers.etag, etag);
      assert.equal(answer.headers["accept-ranges"], "bytes");
      assert.equal(answer.body.length, 0);
    }
    assert.equal((await get("/v3/pods/volumes/rangevol/contents/data/missing.bin", {}, "HEAD")).status, 404);
  });

  it("givesAFileAnotherEtagWhenItIsReplacedOrWrittenInPlace", async () => {
    const path = "/v3/pods/volumes/rangevol/contents/data/changing.bin";
    const first = Buffer.alloc(4096, 1);
    assert.equal((await uploadFile(svc.baseUrl, alice, "/v3/pods/volumes/rangevol/upload/data/changing.bin", first)).status, 200);
    const before = await etagOf(path);

    const second = Buffer.alloc(4096, 2);
    assert.equal((await uploadFile(svc.baseUrl, alice, "/v3/pods/volumes/rangevol/upload/data/changing.bin", second)).status, 200);
    const replaced = await etagOf(path);
    assert.notEqual(replaced, before, "a replaced file of the same size");

    // A pod writes into the file where it is, then sets its modification time back.
    const onDisk = join(storedFolder(svc.dataDir, "volumes", "dev", "rangevol"), "data", "changing.bin");
    const { atime, mtime } = await stat(onDisk);
    const handle = await open(onDisk, "r+");
    await handle.write(Buffer.alloc(16, 3), 0, 16, 100);
    await handle.close();
    await utimes(onDisk, atime, mtime);
    const rewritten = await etagOf(path);
    assert.notEqual(rewritten, replaced, "a file written in place, its size and mtime as before");

    const resumed = await get(path, { Range: "bytes=2048-", "If-Range": replaced });
    assert.equal(resumed.status, 200, "a resume of the older version gets the new file whole");
    assert.equal(resumed.headers.etag, rewritten);
    assert.deepEqual(resumed.body.subarray(100, 116), Buffer.alloc(16, 3));
  });

  it("sendsAZipWholeWithoutEtagOrRanges", async () => {
    for (const path of ["/v3/pods/volumes/rangevol/contents/tree", "/v3/pods/volumes/rangevol/contents/data/file.bin?zip=true"]) {
      const answer = await get(path, { Range: "bytes=0-9" });
      assert.equal(answer.status, 200, path);
      assert.equal(answer.headers["content-type"], "application/zip");
      assert.equal(answer.headers.etag, undefined);
      assert.equal(answer.headers["accept-ranges"], "none");
      assert.equal(answer.headers["content-range"], undefined);
      assert.equal(answer.body.subarray(0, 4).toString("latin1"), "PK\x03\x04");
    }
  });

  it("servesRangesThroughTheDocsPathsAndForSnapshots", async () => {
    const etag = await etagOf();
    assertPart(await get("/v3/volumes/rangevol/files/data/file.bin", { Range: "bytes=1000-1999" }), 1000, 1999, etag);

    const created = await svc.api("POST", "/v3/pods/snapshots", { token: alice, body: { snapshot_id: "rangesnap", source_volume_id: "rangevol", source_volume_path: "/data" } });
    assert.equal(created.status, 200, created.body.message);
    await waitForStorageStatus(svc.api, alice, "/v3/pods/snapshots/rangesnap", "AVAILABLE");
    for (const path of ["/v3/pods/snapshots/rangesnap/contents/data/file.bin", "/v3/snapshots/rangesnap/files/data/file.bin"]) {
      const whole = await get(path);
      assertWhole(whole);
      assertPart(await get(path, { Range: "bytes=-100", "If-Range": String(whole.headers.etag) }), size - 100, size - 1, String(whole.headers.etag));
      assert.equal((await get(path, { Range: `bytes=${size}-` })).status, 416);
    }
  });

  it("givesGrpcClientsTheSameVersionAndRangeFields", async () => {
    const client = createClient(VolumesService, createGrpcTransport({ baseUrl: svc.grpcUrl }));
    const headers = { "x-tapis-token": alice };
    const etag = await etagOf();
    const messages = [];
    for await (const message of client.getVolumeContents({ volumeId: "rangevol", path: "data/file.bin", range: "bytes=10-19", ifRange: etag }, { headers })) messages.push(message);
    assert.equal(messages[0]?.etag, etag);
    assert.deepEqual({ ...messages[0]?.contentRange, $typeName: undefined }, { $typeName: undefined, first: 10n, last: 19n, size: BigInt(size) });
    assert.ok(Buffer.concat(messages.map((m) => m.data)).equals(content.subarray(10, 20)));

    const refused = await (async () => {
      for await (const _ of client.getVolumeContents({ volumeId: "rangevol", path: "data/file.bin", range: `bytes=${size}-` }, { headers }));
    })().catch((error: unknown) => error);
    assert.ok(refused instanceof ConnectError && refused.code === Code.OutOfRange, String(refused));
    assert.deepEqual(refused.findDetails(RangeNotSatisfiableSchema).map((detail) => detail.size), [BigInt(size)]);
  });

  it("checksAccessAndPathsBeforeAnyRange", async () => {
    const bob = await svc.token("bob");
    assert.equal((await rawRequest(svc.baseUrl, "GET", file, { token: bob, headers: { Range: "bytes=0-9" } })).status, 403);
    assert.equal((await get("/v3/pods/volumes/rangevol/contents/data/../etc/passwd", { Range: "bytes=0-9" })).status, 400);
    assert.equal((await get("/v3/pods/volumes/rangevol/contents/data/missing.bin", { Range: "bytes=0-9" })).status, 404);
  });
});
