import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import http from "node:http";
import { cpus, totalmem, tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { startInstallation } from "../test/support/installation.js";
import { waitForStorageStatus } from "../test/support/volume-files.js";
import { round } from "./stats.js";

const mebibyte = 1024 * 1024;

/**
 * A large file into a volume and back out, through the gateway, the control
 * plane and the agent of a distributed installation (one replica on MariaDB,
 * Kafka, one gateway, one agent, each its own process), beside `cp` of the
 * same file on the same disk in the same run. Memory: each process's resident
 * size when idle, and its peak during the transfers (VmHWM, reset first).
 * Needs PODS_TEST_MYSQL_URL and PODS_TEST_KAFKA (scripts/infra).
 * Usage: node dist/bench/volume-transfer.js [MiB]
 */
async function main(): Promise<void> {
  const sizeMiB = Number(process.argv[2] ?? 1024);
  const dir = await mkdtemp(join(tmpdir(), "pods-bench-volume-"));
  const installation = await startInstallation({ replicas: 1, agents: [{ name: "agent", cluster: "a", replicas: [0] }] });
  try {
    const source = join(dir, "source.bin");
    await writeRandomFile(source, sizeMiB);
    const bytes = (await stat(source)).size;

    let started = performance.now();
    execFileSync("cp", [source, join(dir, "copy.bin")]);
    const cpSeconds = (performance.now() - started) / 1000;
    await rm(join(dir, "copy.bin"));

    const token = await installation.token("bench");
    const created = await installation.api("POST", "/v3/pods/volumes", token, { volume_id: "benchvol", size_limit: sizeMiB * 2 + 16 });
    if (created.status !== 200) throw new Error(`volume not created: ${created.body.message}`);
    await waitForStorageStatus((method, path, options) => installation.api(method, path, options.token), token, "/v3/pods/volumes/benchvol", "AVAILABLE", 60_000);

    const processes = { gateway: installation.gateway.child.pid!, "control plane": installation.replicas[0]!.child.pid!, agent: installation.agents.get("agent")!.child.pid! };
    const idle = Object.fromEntries(await Promise.all(Object.entries(processes).map(async ([name, pid]) => [name, await memory(pid, "VmRSS")])));
    for (const pid of Object.values(processes)) await writeFile(`/proc/${pid}/clear_refs`, "5");

    started = performance.now();
    const uploadStatus = await upload(installation.gatewayUrl, token, "/v3/pods/volumes/benchvol/upload/big.bin", source, bytes);
    const uploadSeconds = (performance.now() - started) / 1000;
    if (uploadStatus !== 200) throw new Error(`upload answered ${uploadStatus}`);

    const back = join(dir, "back.bin");
    started = performance.now();
    const downloadStatus = await download(installation.gatewayUrl, token, "/v3/pods/volumes/benchvol/contents/big.bin", back);
    const downloadSeconds = (performance.now() - started) / 1000;
    if (downloadStatus !== 200) throw new Error(`download answered ${downloadStatus}`);

    const peak = Object.fromEntries(await Promise.all(Object.entries(processes).map(async ([name, pid]) => [name, await memory(pid, "VmHWM")])));
    const identical = (await sha256Of(source)) === (await sha256Of(back));
    const mibPerSecond = (seconds: number) => round(bytes / mebibyte / seconds);
    const report = {
      machine: `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      setup: "1 control-plane replica (MariaDB), Kafka, 1 gateway, 1 agent (simulated cluster; storage a folder on the same disk), each its own process",
      fileMiB: round(bytes / mebibyte),
      cp: { seconds: round(cpSeconds), mibPerSecond: mibPerSecond(cpSeconds) },
      upload: { seconds: round(uploadSeconds), mibPerSecond: mibPerSecond(uploadSeconds), ofCp: round(cpSeconds / uploadSeconds) },
      download: { seconds: round(downloadSeconds), mibPerSecond: mibPerSecond(downloadSeconds), ofCp: round(cpSeconds / downloadSeconds) },
      byteIdentical: identical,
      residentMiB: Object.fromEntries(Object.keys(processes).map((name) => [name, { idle: idle[name], peak: peak[name], aboveIdle: round(peak[name]! - idle[name]!) }])),
    };
    process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  } finally {
    await installation.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function writeRandomFile(path: string, sizeMiB: number): Promise<void> {
  const out = createWriteStream(path);
  for (let i = 0; i < sizeMiB; i++) if (!out.write(randomBytes(mebibyte))) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

/** A process's resident set (VmRSS) or its peak since the last reset (VmHWM), MiB. */
async function memory(pid: number, field: "VmRSS" | "VmHWM"): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return round(kib / 1024);
}

/** Streams `file` as a multipart form (part "file") to `path`; the answer's status. */
function upload(baseUrl: string, token: string, path: string, file: string, bytes: number): Promise<number> {
  const boundary = `----pods${randomBytes(8).toString("hex")}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: "POST",
        path,
        headers: { "X-Tapis-Token": token, "Content-Type": `multipart/form-data; boundary=${boundary}`, "Content-Length": String(head.length + bytes + tail.length) },
      },
      (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
      },
    );
    request.on("error", reject);
    request.write(head);
    const body = createReadStream(file, { highWaterMark: mebibyte });
    body.pipe(request, { end: false });
    body.on("end", () => request.end(tail));
    body.on("error", reject);
  });
}

function download(baseUrl: string, token: string, path: string, into: string): Promise<number> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    http
      .get({ host: url.hostname, port: url.port, path, headers: { "X-Tapis-Token": token } }, (response) => {
        pipeline(response, createWriteStream(into)).then(() => resolve(response.statusCode ?? 0), reject);
      })
      .on("error", reject);
  });
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: mebibyte })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
