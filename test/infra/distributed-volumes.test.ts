import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { startInstallation, type Installation } from "../support/installation.js";
import { rawRequest, uploadFile, waitForStorageStatus } from "../support/volume-files.js";

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/**
 * Volumes and snapshots of a distributed installation whose one agent is
 * connected to the second of two replicas: the gateway takes the replicas in
 * turn, so every file operation that lands on the first is forwarded to the
 * second (ReplicaService), uploads and downloads in windows at every hop.
 */
describe("volumes across control-plane replicas", function () {
  this.timeout(180_000);
  let installation: Installation;
  let token: string;
  const api = (method: string, path: string, options: { token: string; body?: unknown }) => installation.api(method, path, options.token, options.body);

  before(async () => {
    installation = await startInstallation({ replicas: 2, agents: [{ name: "agent-a", cluster: "a", replicas: [1] }] });
    token = await installation.token("alice");
    for (const [id, limit] of [["spreadvol", 64], ["tinyvol", 1]] as const) {
      const created = await api("POST", "/v3/pods/volumes", { token, body: { volume_id: id, size_limit: limit } });
      assert.equal(created.status, 200, created.body.message);
      await waitForStorageStatus(api, token, `/v3/pods/volumes/${id}`, "AVAILABLE", 60_000);
    }
  });
  after(() => installation?.stop());

  it("uploadsListsAndDownloadsByteIdenticalThroughEitherReplica", async () => {
    const files = [0, 1, 2, 3].map((i) => randomBytes(1024 * 1024 + i * 4099));
    for (const [i, content] of files.entries()) {
      const answer = await uploadFile(installation.gatewayUrl, token, `/v3/pods/volumes/spreadvol/upload/data/f${i}.bin`, content);
      assert.equal(answer.status, 200, answer.json?.message);
      assert.equal(answer.json?.result, `Wrote ${content.length} bytes to data/f${i}.bin.`);
    }
    for (let round = 0; round < 2; round++) {
      const listed = (await api("GET", "/v3/pods/volumes/spreadvol/list", { token })).body.result as { path: string }[];
      assert.deepEqual(listed.map((f) => f.path).sort(), ["data", "data/f0.bin", "data/f1.bin", "data/f2.bin", "data/f3.bin"]);
      for (const [i, content] of files.entries()) {
        const downloaded = await rawRequest(installation.gatewayUrl, "GET", `/v3/pods/volumes/spreadvol/contents/data/f${i}.bin`, { token });
        assert.equal(downloaded.status, 200, downloaded.json?.message);
        assert.equal(sha256(downloaded.body), sha256(content), `f${i}.bin, round ${round}`);
      }
    }
    assert.equal((await api("GET", "/v3/pods/volumes/spreadvol", { token })).body.result.size, 5);
  });

  it("refusesWhatTheAgentRefusesWithTheSameAnswerOnEitherReplica", async () => {
    for (let round = 0; round < 2; round++) {
      const tooBig = await uploadFile(installation.gatewayUrl, token, "/v3/pods/volumes/tinyvol/upload/big.bin", randomBytes(1536 * 1024));
      assert.equal(tooBig.status, 413, tooBig.json?.message);
      assert.match(tooBig.json!.message, /^the upload does not fit in volume 'tinyvol': its size_limit is 1 MB \(1048576 bytes\) and 0 bytes are in use/);
      const missing = await rawRequest(installation.gatewayUrl, "GET", "/v3/pods/volumes/spreadvol/contents/data/nothere.bin", { token });
      assert.equal(missing.status, 404);
      assert.equal(missing.json?.message, "file 'data/nothere.bin' not found in volume 'spreadvol'");
      const hostile = await rawRequest(installation.gatewayUrl, "GET", "/v3/pods/volumes/spreadvol/contents/data/..%2F..%2Fother", { token });
      assert.equal(hostile.status, 400);
      assert.equal(hostile.json?.message, "path: must not contain '.' or '..' names");
    }
  });

  it("servesRangesAndTheirRefusalsThroughEitherReplica", async () => {
    const content = randomBytes(300_000);
    assert.equal((await uploadFile(installation.gatewayUrl, token, "/v3/pods/volumes/spreadvol/upload/ranged.bin", content)).status, 200);
    const path = "/v3/pods/volumes/spreadvol/contents/ranged.bin";
    const etag = String((await rawRequest(installation.gatewayUrl, "GET", path, { token })).headers.etag);
    for (let round = 0; round < 2; round++) {
      const part = await rawRequest(installation.gatewayUrl, "GET", path, { token, headers: { Range: "bytes=100000-", "If-Range": etag } });
      assert.equal(part.status, 206, `round ${round}`);
      assert.equal(part.headers["content-range"], `bytes 100000-299999/300000`);
      assert.equal(part.headers.etag, etag);
      assert.equal(sha256(part.body), sha256(content.subarray(100_000)));
      const past = await rawRequest(installation.gatewayUrl, "GET", path, { token, headers: { Range: "bytes=300000-" } });
      assert.equal(past.status, 416, `round ${round}`);
      assert.equal(past.headers["content-range"], "bytes */300000");
      assert.equal((await rawRequest(installation.gatewayUrl, "GET", path, { token, headers: { "If-None-Match": etag } })).status, 304);
    }
  });

  it("snapshotsAndZipsThroughEitherReplica", async () => {
    const created = await api("POST", "/v3/pods/snapshots", { token, body: { snapshot_id: "spreadsnap", source_volume_id: "spreadvol", source_volume_path: "/data" } });
    assert.equal(created.status, 200, created.body.message);
    await waitForStorageStatus(api, token, "/v3/pods/snapshots/spreadsnap", "AVAILABLE", 60_000);
    for (let round = 0; round < 2; round++) {
      const zipped = await rawRequest(installation.gatewayUrl, "GET", "/v3/pods/snapshots/spreadsnap/contents/data?zip=true", { token });
      assert.equal(zipped.status, 200, zipped.json?.message);
      assert.equal(zipped.headers["content-type"], "application/zip");
      assert.ok(zipped.body.length > 4 * 1024 * 1024, `a zip of about 4 MiB of random bytes, got ${zipped.body.length}`);
    }
  });
});
