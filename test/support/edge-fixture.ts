import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import { createServer as createTcpServer, type Server } from "node:net";
import { homedir, tmpdir } from "node:os";
import { basename, join } from "node:path";
import tls from "node:tls";
import { promisify } from "node:util";
import { NginxEdge } from "../../edge-proxy/nginx-edge.js";
import { createJsonLogger } from "../../shared/logging/logger.js";
import { freePort } from "./processes.js";

/** Where the infra scripts keep state; runs/ under nginx and chromium are theirs to clean (scripts/infra/*.sh stop). */
export function infraHome(): string {
  return process.env.PODS_INFRA_HOME || join(homedir(), ".cache", "pods-infra");
}

/** A certificate and key, self-signed for `names` (wildcards allowed), made by openssl. */
export async function selfSignedCertificate(names: string[], commonName = names[0]!): Promise<{ cert: string; key: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), "pods-cert-"));
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  await promisify(execFile)("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
    "-subj", `/CN=${commonName}`,
    "-addext", `subjectAltName=${names.map((name) => `DNS:${name}`).join(",")}`,
    "-keyout", key, "-out", cert,
  ]);
  return { cert, key, dir };
}

/** What an HTTP backend standing in for a pod saw of one request. */
export interface SeenRequest {
  pod: string;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A local HTTP server standing in for one pod: answers with what it was asked (JSON), or HTML when asked for HTML. */
export async function httpBackend(pod: string): Promise<{ port: number; seen: SeenRequest[]; close(): Promise<void> }> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const request = { pod, method: req.method ?? "", path: req.url ?? "", headers: req.headers };
    seen.push(request);
    if ((req.headers.accept ?? "").includes("text/html")) {
      res.writeHead(200, { "Content-Type": "text/html" });
      res.end(`<!doctype html><title>${pod}</title><h1 id="who">${pod} greets ${String(req.headers["x-tapis-username"] ?? "nobody")}</h1>`);
      return;
    }
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify(request));
  });
  const port = await listen(server);
  return { port, seen, close: () => close(server) };
}

/** A TCP server standing in for a pod: answers "<label>:<what it read>" and closes. Over TLS when given a certificate (postgres passthrough). */
export async function tcpBackend(label: string, certificate?: { cert: string; key: string }): Promise<{ port: number; close(): Promise<void> }> {
  const answer = (socket: NodeJS.ReadWriteStream & { end(data: string): void }) =>
    socket.once("data", (chunk: Buffer) => socket.end(`${label}:${chunk.toString()}`));
  const server = certificate
    ? tls.createServer({ cert: await readFile(certificate.cert), key: await readFile(certificate.key) }, (socket) => answer(socket))
    : createTcpServer((socket) => answer(socket));
  const port = await listen(server);
  return { port, close: () => close(server) };
}

/** An HTTPS answer through the proxy. */
export interface ProxiedAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** An HTTPS request to `host` through the proxy at 127.0.0.1:`port` (SNI and Host say which pod). */
export function proxied(port: number, host: string, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<ProxiedAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: "127.0.0.1", port, servername: host, path, method: options.method ?? "GET", headers: { Host: `${host}:${port}`, ...options.headers }, rejectUnauthorized: false, agent: false },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
        res.once("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.once("error", reject);
    req.end();
  });
}

/** A TLS connection to `host` through the proxy: sends `data`, resolves with all it reads and the certificate it was shown, or the error. */
export function tlsExchange(port: number, host: string, data: string): Promise<{ received: string; peerName: string | undefined } | { error: string }> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: "127.0.0.1", port, servername: host, rejectUnauthorized: false });
    let received = "";
    let peerName: string | undefined;
    const timer = setTimeout(() => socket.destroy(new Error("no answer within 10 s")), 10_000);
    socket.once("secureConnect", () => {
      peerName = socket.getPeerCertificate().subject?.CN as string | undefined;
      socket.write(data);
    });
    socket.on("data", (chunk: Buffer) => (received += chunk.toString()));
    socket.once("error", (error) => {
      clearTimeout(timer);
      resolve({ error: error.message });
    });
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(received || peerName ? { received, peerName } : { error: "closed without a word" });
    });
  });
}

/** A proxy in front of the pods: where it listens, how to make it read the routes now, how to stop it. */
export interface RunningProxy {
  name: string;
  port: number;
  /** Makes the proxy take the current routes (it also polls). */
  refresh(): Promise<void>;
  /** What it logged, to explain a failure. */
  logs(): string;
  stop(): Promise<void>;
}

/** The project's nginx edge proxy (edge-proxy/), reading the routes from `grpcUrl`, listening on a free port. */
export async function startNginxProxy(nginxBin: string, grpcUrl: string, certificate: { cert: string; key: string }): Promise<RunningProxy> {
  const port = await freePort();
  // Under the system's temporary folder, which nginx's workers can reach (a root's home they cannot);
  // listed in the infra folder so scripts/infra/nginx.sh stop finds what a killed suite left.
  const runDir = await mkdtemp(join(tmpdir(), "pods-nginx-"));
  const runs = join(infraHome(), "nginx", "runs");
  await mkdir(runs, { recursive: true });
  const link = join(runs, basename(runDir));
  await symlink(runDir, link);
  const logs: string[] = [];
  const edge = await NginxEdge.start({
    nginxBin,
    runDir,
    listen: `127.0.0.1:${port}`,
    certificate: certificate.cert,
    certificateKey: certificate.key,
    modules: ["/usr/lib/nginx/modules/ngx_stream_module.so"],
    controlPlaneUrls: [grpcUrl],
    clusterId: "",
    pollMs: 500,
    rpcTimeoutMs: 10_000,
    logger: createJsonLogger({ level: "info", write: (line) => logs.push(line) }),
  });
  return {
    name: "nginx",
    port,
    async refresh() {
      await edge.sync();
    },
    logs: () => [...logs, ...readErrorLog(runDir)].join(""),
    async stop() {
      await edge.stop();
      await rm(runDir, { recursive: true, force: true });
      await rm(link, { force: true });
    },
  };
}

/**
 * Traefik itself, when PODS_TRAEFIK_BIN names a binary: its HTTP provider
 * polls /v3/traefik-config; the certificate is its default one.
 */
export async function startTraefikProxy(traefikBin: string, gatewayUrl: string, certificate: { cert: string; key: string }): Promise<RunningProxy> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "pods-traefik-"));
  const tlsFile = join(dir, "tls.yml");
  await writeFile(tlsFile, `tls:\n  stores:\n    default:\n      defaultCertificate:\n        certFile: ${certificate.cert}\n        keyFile: ${certificate.key}\n`);
  const child = spawn(
    traefikBin,
    [
      `--entryPoints.websecure.address=127.0.0.1:${port}`,
      `--providers.http.endpoint=${gatewayUrl}/v3/traefik-config`,
      "--providers.http.pollInterval=1s",
      `--providers.file.filename=${tlsFile}`,
      "--log.level=INFO",
    ],
    { stdio: ["ignore", "ignore", "ignore"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    name: "traefik",
    port,
    async refresh() {
      // Traefik polls every second; the tests wait for what they expect.
    },
    logs: () => "",
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function readErrorLog(runDir: string): string[] {
  try {
    return [readFileSync(join(runDir, "error.log"), "utf8")];
  } catch {
    return [];
  }
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}
