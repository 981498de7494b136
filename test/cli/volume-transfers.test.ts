import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import http from "node:http";
import busboy from "busboy";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { CliRunner } from "../support/cli-runner.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { startTestService, type TestService } from "../support/test-service.js";
import { waitForStorageStatus } from "../support/volume-files.js";

/*
 * The first suite moves files through a running service; the second tests
 * how a download resumes, or starts over, against a small stand-in that can
 * cut a connection at a chosen byte and serve with or without Range support.
 */
describe("pods CLI: volume upload and download against the service", () => {
  let svc: TestService;
  let cli: CliRunner;
  const content = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31) % 253));
  const digest = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

  before(async () => {
    svc = await startTestService({}, { logLevel: "debug" });
    cli = await CliRunner.create(svc.baseUrl);
    await cli.login(svc.dataDir, "alice");
    const token = await svc.token("alice");
    assert.equal((await svc.api("POST", "/v3/pods/volumes", { token, body: { volume_id: "myvol" } })).status, 200);
    await waitForStorageStatus(svc.api, token, "/v3/pods/volumes/myvol", "AVAILABLE");
    await writeFile(join(cli.home, "notes.bin"), content);
  });
  after(async () => {
    await cli?.dispose();
    await svc?.stop();
  });

  it("uploadsAFileAndDownloadsTheSameBytes", async () => {
    const sent = await cli.run(["volume", "upload", "-q", "myvol", join(cli.home, "notes.bin"), "docs/notes.bin"]);
    assert.equal(sent.code, 0, sent.stderr);
    const fetched = await cli.run(["volume", "download", "-q", "-o", "json", "myvol", "docs/notes.bin", "copy.bin"]);
    assert.equal(fetched.code, 0, fetched.stderr);
    assert.deepEqual(JSON.parse(fetched.stdout), { destination: "copy.bin", bytes: content.length, resumed_from: 0 });
    assert.equal(digest(await readFile(join(cli.home, "copy.bin"))), digest(content));
    assert.deepEqual((await readdir(cli.home)).filter((name) => name.startsWith("copy.bin")), ["copy.bin"]);
  });

  it("resumesADownloadTheConnectionBrokeWithARangeRequestForOnlyTheRest", async () => {
    const big = Buffer.from(Array.from({ length: 3 * 1024 * 1024 }, (_, i) => (i * 7919 + 13) % 251));
    await writeFile(join(cli.home, "big.bin"), big);
    assert.equal((await cli.run(["volume", "upload", "-q", "myvol", join(cli.home, "big.bin"), "docs/big.bin"])).code, 0);
    let proxy: TcpProxy | undefined;
    try {
      proxy = await startTcpProxy({ host: "127.0.0.1", port: Number(new URL(svc.baseUrl).port) });
      const viaProxy = { env: { PODS_URL: `http://127.0.0.1:${proxy.port}`, PODS_TOKEN: await svc.token("alice") } };
      proxy.cutNextAfter(1024 * 1024);
      const broken = await cli.run(["volume", "download", "-q", "myvol", "docs/big.bin", "big-copy.bin"], viaProxy);
      assert.equal(broken.code, 5, broken.stderr);
      const kept = (await stat(join(cli.home, "big-copy.bin.part"))).size;
      assert.ok(kept > 0 && kept < 1024 * 1024, `kept ${kept} bytes`);

      const resumed = await cli.run(["volume", "download", "-q", "-o", "json", "myvol", "docs/big.bin", "big-copy.bin"], viaProxy);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.deepEqual(JSON.parse(resumed.stdout), { destination: "big-copy.bin", bytes: big.length, resumed_from: kept });
      assert.equal(digest(await readFile(join(cli.home, "big-copy.bin"))), digest(big));
      assert.deepEqual((await readdir(cli.home)).filter((name) => name.startsWith("big-copy.bin")), ["big-copy.bin"]);

      // The service's own account of the resume: a 206 whose bytes are only the rest, read by the agent from where the part ended.
      const lines = svc.logLines();
      const downloads = lines.filter((line) => line.msg === "request" && line.route === "/v3/pods/volumes/{volume_id}/contents/{path=**}");
      assert.deepEqual(
        { status: downloads.at(-1)?.status, bytes_sent: downloads.at(-1)?.bytes_sent },
        { status: 206, bytes_sent: big.length - kept },
      );
      const reads = lines.filter((line) => line.msg === "download sent");
      assert.deepEqual({ offset: reads.at(-1)?.offset, bytes: reads.at(-1)?.bytes }, { offset: kept, bytes: big.length - kept });
    } finally {
      await proxy?.close();
    }
  });

  it("downloadsAFolderAsAZip", async () => {
    assert.equal((await cli.run(["volume", "upload", "-q", "myvol", join(cli.home, "notes.bin"), "docs/again.bin"])).code, 0);
    const fetched = await cli.run(["volume", "download", "-q", "--zip", "myvol", "docs"]);
    assert.equal(fetched.code, 0, fetched.stderr);
    const zip = await readFile(join(cli.home, "docs.zip"));
    assert.equal(zip.subarray(0, 4).toString("latin1"), "PK\x03\x04");
    for (const name of ["docs/notes.bin", "docs/again.bin"]) assert.ok(zip.includes(Buffer.from(name)), `the zip names ${name}`);
  });

  it("reportsAMissingFileWithExitCode2AndKeepsNoFile", async () => {
    const fetched = await cli.run(["volume", "download", "myvol", "docs/missing.bin"]);
    assert.equal(fetched.code, 2, fetched.stderr);
    assert.match(fetched.stderr, /^pods: .*missing\.bin.* \(HTTP 404\)$/m);
    assert.deepEqual((await readdir(cli.home)).filter((name) => name.startsWith("missing.bin")), []);
  });

  it("reportsAnUploadPastTheVolumesLimitWithTheServicesReason", async () => {
    const token = await svc.token("alice");
    assert.equal((await svc.api("POST", "/v3/pods/volumes", { token, body: { volume_id: "tinyvol", size_limit: 1 } })).status, 200);
    await waitForStorageStatus(svc.api, token, "/v3/pods/volumes/tinyvol", "AVAILABLE");
    await writeFile(join(cli.home, "big.bin"), Buffer.alloc(2 * 1024 * 1024, 7));
    const sent = await cli.run(["volume", "upload", "-q", "tinyvol", join(cli.home, "big.bin")]);
    assert.equal(sent.code, 4, sent.stderr);
    assert.match(sent.stderr, /^pods: .*size_limit.* \(HTTP 413\)$/m);
  });

  it("answersHelpForTheVolumeCommands", async () => {
    for (const command of [["volume"], ["volume", "upload"], ["volume", "download"]]) {
      const help = await cli.run([...command, "--help"]);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, new RegExp(`^Usage: pods ${command.join(" ")} `));
    }
  });
});

interface StandIn {
  url: string;
  content: Buffer;
  /** Close the connection after this many bytes of the next answer. */
  cutAfter?: number;
  honoursRange: boolean;
  etag: string;
  requests: { path: string; range?: string; ifRange?: string; token?: string }[];
  /** Files received by uploads, by request path and form field. */
  uploads: { path: string; field: string; filename: string; bytes: Buffer }[];
  /** Drop the connection once an upload has sent this many bytes. */
  dropUploadAfter?: number;
  close(): Promise<void>;
}

/**
 * Serves GET /v3/pods/volumes/{id}/contents/{path} from memory and takes
 * POST /v3/pods/volumes/{id}/upload/{path} (multipart), as the reference spec
 * describes them.
 */
async function startStandIn(content: Buffer): Promise<StandIn> {
  const standIn = { content, honoursRange: true, etag: '"v1"', requests: [], uploads: [] } as unknown as StandIn;
  const server = http.createServer((req, res) => {
    if (req.method === "POST") return receiveUpload(standIn, req, res);
    standIn.requests.push({ path: req.url ?? "", range: req.headers.range, ifRange: req.headers["if-range"] as string | undefined, token: req.headers["x-tapis-token"] as string | undefined });
    if (!req.url?.startsWith("/v3/pods/volumes/vol1/contents/data/file.bin")) {
      res.writeHead(404, { "Content-Type": "application/json" }).end(JSON.stringify({ status: "error", message: "no such file", result: null, metadata: {}, version: "1.9.0" }));
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const start = range && standIn.honoursRange && (!req.headers["if-range"] || req.headers["if-range"] === standIn.etag) ? Number(range[1]) : 0;
    const body = standIn.content.subarray(start);
    res.writeHead(start ? 206 : 200, {
      "Content-Type": "application/octet-stream",
      "Content-Length": String(body.length),
      ETag: standIn.etag,
      ...(start ? { "Content-Range": `bytes ${start}-${standIn.content.length - 1}/${standIn.content.length}` } : {}),
    });
    const cut = standIn.cutAfter;
    standIn.cutAfter = undefined;
    if (cut === undefined) return void res.end(body);
    res.write(body.subarray(0, cut), () => res.socket?.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  standIn.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  standIn.close = () => new Promise((resolve) => server.close(() => resolve()));
  return standIn;
}

function receiveUpload(standIn: StandIn, req: http.IncomingMessage, res: http.ServerResponse): void {
  if (standIn.dropUploadAfter !== undefined) {
    let received = 0;
    req.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received >= standIn.dropUploadAfter!) req.socket.destroy();
    });
    return;
  }
  const parser = busboy({ headers: req.headers });
  parser.on("file", (field, stream, info) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => standIn.uploads.push({ path: req.url ?? "", field, filename: info.filename ?? "", bytes: Buffer.concat(chunks) }));
  });
  parser.on("close", () => {
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ status: "success", message: "File uploaded.", result: "File uploaded successfully.", metadata: {}, version: "1.9.0" }));
  });
  req.pipe(parser);
}

describe("pods CLI: resuming a volume download (stand-in service)", () => {
  let standIn: StandIn;
  let cli: CliRunner;
  const original = Buffer.from(Array.from({ length: 1024 * 1024 }, (_, i) => (i * 7919) % 251));
  const digest = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

  beforeEach(async () => {
    standIn = await startStandIn(original);
    cli = await CliRunner.create(standIn.url);
  });
  afterEach(async () => {
    await cli.dispose();
    await standIn.close();
  });

  const download = (...extra: string[]) => cli.run(["volume", "download", "vol1", "/data/file.bin", ...extra], { env: { PODS_TOKEN: "a-token" } });
  const target = () => join(cli.home, "file.bin");

  it("keepsWhatABrokenDownloadReceivedAndResumesItWithARangeRequest", async () => {
    standIn.cutAfter = 300_000;
    const broken = await download();
    assert.equal(broken.code, 5, broken.stderr);
    const kept = (await stat(`${target()}.part`)).size;
    assert.ok(kept > 0 && kept <= 300_000, `kept ${kept} bytes`);
    const shown = `${(kept / 1024).toFixed(1)} KiB`;
    assert.match(broken.stderr, new RegExp(`^pods: download of vol1/data/file\\.bin stopped after ${shown}: other side closed.*\\.$`, "m"));
    assert.match(broken.stderr, new RegExp(`^The ${shown} received are kept in file\\.bin\\.part: run \`pods volume download vol1 /data/file\\.bin\` again to resume`, "m"));
    assert.deepEqual((await readFile(`${target()}.part`)).subarray(0, kept), original.subarray(0, kept));
    await assert.rejects(stat(target()), /ENOENT/);

    const resumed = await download("-o", "json");
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(JSON.parse(resumed.stdout), { destination: "file.bin", bytes: original.length, resumed_from: kept });
    assert.match(resumed.stderr, /^download file\.bin: [\d.]+ KiB of 1\.0 MiB \(\d+%\), resuming$/m);
    assert.deepEqual(standIn.requests.map((r) => [r.range, r.ifRange, r.token]), [[undefined, undefined, "a-token"], [`bytes=${kept}-`, '"v1"', "a-token"]]);
    assert.equal(digest(await readFile(target())), digest(original));
    assert.deepEqual((await readdir(cli.home)).filter((name) => name.startsWith("file.bin")), ["file.bin"]);
  });

  it("startsOverWhenTheServiceSendsTheWholeFileInsteadOfTheRest", async () => {
    standIn.honoursRange = false;
    standIn.cutAfter = 100_000;
    const broken = await download();
    assert.equal(broken.code, 5, broken.stderr);
    assert.ok((await stat(`${target()}.part`)).size > 0, broken.stderr);
    const again = await download();
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /^pods: the service sent the whole file instead of the rest \(no resumable downloads, or the file changed\); starting over$/m);
    assert.equal(digest(await readFile(target())), digest(original));
  });

  it("startsOverWhenTheFileChangedSinceTheDownloadBegan", async () => {
    standIn.cutAfter = 100_000;
    assert.equal((await download()).code, 5);
    standIn.etag = '"v2"';
    standIn.content = Buffer.from(original).reverse();
    const again = await download();
    assert.equal(again.code, 0, again.stderr);
    assert.equal(standIn.requests.at(-1)?.ifRange, '"v1"');
    assert.match(again.stderr, /starting over/);
    assert.equal(digest(await readFile(target())), digest(standIn.content));
  });

  it("showsDownloadProgressAsPlainLinesWhenNotOnATerminal", async () => {
    const fetched = await download(join(cli.home, "copy.bin"));
    assert.equal(fetched.code, 0, fetched.stderr);
    const lines = fetched.stderr.trimEnd().split("\n");
    assert.equal(lines[0], "download file.bin: 0 B of 1.0 MiB (0%)");
    assert.match(lines.at(-1)!, /^download file\.bin: 1\.0 MiB of 1\.0 MiB \(100%\), done in [\d.]+ s$/);
    assert.ok(lines.length >= 4, fetched.stderr);
    assert.equal(digest(await readFile(join(cli.home, "copy.bin"))), digest(original));
  });

  it("writesToStandardOutputWithADash", async () => {
    const fetched = await cli.run(["volume", "download", "-q", "vol1", "data/file.bin", "-"], { env: { PODS_TOKEN: "a-token" } });
    assert.equal(fetched.code, 0, fetched.stderr);
    assert.equal(fetched.stderr, "");
    assert.equal(digest(fetched.stdoutBytes), digest(original));
  });

  it("uploadsAFileToAPathInAVolume", async () => {
    const file = join(cli.home, "my data.bin");
    await writeFile(file, original);
    const sent = await cli.run(["volume", "upload", "vol1", file, "/in/my data.bin"], { env: { PODS_TOKEN: "a-token" } });
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(sent.stdout, "File uploaded successfully.\n");
    assert.equal(standIn.uploads.length, 1);
    const [upload] = standIn.uploads;
    assert.deepEqual([upload!.path, upload!.field, upload!.filename], ["/v3/pods/volumes/vol1/upload/in/my%20data.bin", "file", "my data.bin"]);
    assert.equal(digest(upload!.bytes), digest(original));
    assert.match(sent.stderr, /^upload my data\.bin: 1\.0 MiB of 1\.0 MiB \(100%\), done in [\d.]+ s$/m);
  });

  it("saysHowToSendAgainAnUploadWhoseConnectionBroke", async () => {
    const file = join(cli.home, "data.bin");
    await writeFile(file, original);
    standIn.dropUploadAfter = 200_000;
    const sent = await cli.run(["volume", "upload", "vol1", file], { env: { PODS_TOKEN: "a-token" } });
    assert.equal(sent.code, 5);
    assert.match(sent.stderr, /^pods: upload of data\.bin failed after [\d.]+ KiB of 1\.0 MiB were sent: .+\.$/m);
    assert.match(sent.stderr, new RegExp(`^The service keeps nothing of an unfinished upload: run \`pods volume upload vol1 ${file.replace(/[.]/g, "\\.")}\` again to send it anew$`, "m"));
  });

  it("reportsAMissingFileWithExitCode2", async () => {
    const fetched = await cli.run(["volume", "download", "vol1", "data/other.bin"], { env: { PODS_TOKEN: "a-token" } });
    assert.equal(fetched.code, 2);
    assert.match(fetched.stderr, /^pods: no such file \(HTTP 404\)$/m);
  });
});
