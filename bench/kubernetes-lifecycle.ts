import { randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { readEmbeddedConfig } from "../embedded/config.js";
import { startEmbedded, type EmbeddedService } from "../embedded/start-embedded.js";
import { createJsonLogger } from "../shared/logging/logger.js";
import { createScratchNamespace } from "../test/support/scratch-namespace.js";
import { round, summary } from "./stats.js";

/**
 * Pod figures against a real Kubernetes API server with kwok simulating the
 * node (scripts/infra/kubernetes.sh): create → AVAILABLE for pods created at
 * once, the memory of the service while it runs many pods, and its memory
 * while a large file is uploaded into a pod.
 * Usage: node dist/bench/kubernetes-lifecycle.js <kubeconfig> [burst] [total] [uploadMiB]
 */
async function main(): Promise<void> {
  const [kubeconfig, burstArg, totalArg, uploadArg] = process.argv.slice(2);
  if (!kubeconfig) throw new Error("usage: kubernetes-lifecycle.js <kubeconfig> [burst] [total] [uploadMiB]");
  const burst = Number(burstArg ?? 100);
  const total = Number(totalArg ?? 1000);
  const uploadMiB = Number(uploadArg ?? 1024);
  const scratch = await createScratchNamespace(kubeconfig, "pods-bench");
  const dataDir = await mkdtemp(join(tmpdir(), "pods-bench-k8s-"));
  const service = await startEmbedded(
    readEmbeddedConfig({
      PODS_DATA_DIR: dataDir,
      PODS_HTTP_PORT: "0",
      PODS_GRPC_PORT: "0",
      PODS_LOG_LEVEL: "error",
      PODS_KUBECONFIG: kubeconfig,
      PODS_K8S_NAMESPACE: scratch.name,
      PODS_K8S_STOP_GRACE_SECONDS: "0",
      PODS_AGENT_CONCURRENCY: "32",
    }),
    createJsonLogger({ level: "error" }),
  );
  try {
    const token = (await service.issuer.access("bench", "password")).token;
    const api = apiOf(service, token);
    global.gc?.();
    const idle = process.memoryUsage();

    const burstFigures = await createAndWait(api, 0, burst);
    const restFigures = await createAndWait(api, burst, total - burst);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    global.gc?.();
    const running = process.memoryUsage();

    const upload = await uploadFigures(service, token, uploadMiB);

    const report = {
      machine: `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      cluster: "kube-apiserver 1.36.3 + etcd 3.6 + kwok 0.8 (one simulated node), same machine",
      createdAtOnce: { pods: burst, ...burstFigures },
      thenCreated: { pods: total - burst, ...restFigures },
      memoryMiB: {
        idle: mib(idle),
        [`with${total}PodsAvailable`]: mib(running),
        perPodKiB: Math.round((running.heapUsed - idle.heapUsed) / total / 1024),
      },
      upload,
    };
    process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  } finally {
    await service.stop();
    await scratch.remove();
    await rm(dataDir, { recursive: true, force: true });
  }
}

type Api = (method: string, path: string, body?: unknown) => Promise<any>;

function apiOf(service: EmbeddedService, token: string): Api {
  return async (method, path, body) => {
    const response = await fetch(`${service.baseUrl}${path}`, {
      method,
      headers: { "X-Tapis-Token": token, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as { result: unknown; message: string };
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${json.message}`);
    return json.result;
  };
}

/** Creates `count` pods at once and waits until every one is AVAILABLE. */
async function createAndWait(api: Api, offset: number, count: number) {
  const createdAt = new Map<string, number>();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const podId = `bench${offset + i}`;
      createdAt.set(podId, performance.now());
      await api("POST", "/v3/pods", {
        pod_id: podId,
        image: "nginx:1.27",
        resources: { cpu_request: 250, cpu_limit: 250, mem_request: 256, mem_limit: 256 },
        time_to_stop_default: -1,
      });
    }),
  );
  const latencies: number[] = [];
  const seen = new Set<string>();
  while (seen.size < count) {
    const now = performance.now();
    for (const pod of (await api("GET", "/v3/pods")) as { pod_id: string; status: string }[]) {
      if (createdAt.has(pod.pod_id) && pod.status === "AVAILABLE" && !seen.has(pod.pod_id)) {
        seen.add(pod.pod_id);
        latencies.push(now - createdAt.get(pod.pod_id)!);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { createToAvailableMs: summary(latencies), allAvailableAfterSeconds: round((performance.now() - started) / 1000) };
}

/**
 * Uploads a file of `sizeMiB` into a pod (to /dev/null) with curl, a separate
 * process, so the samples of this process's memory are the service's alone.
 */
async function uploadFigures(service: EmbeddedService, token: string, sizeMiB: number) {
  const dir = await mkdtemp(join(tmpdir(), "pods-bench-upload-"));
  const file = join(dir, "payload.bin");
  const block = randomBytes(1024 * 1024);
  await writeFile(file, "");
  for (let i = 0; i < sizeMiB; i++) await writeFile(file, block, { flag: "a" });
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const started = performance.now();
  try {
    const status = await new Promise<string>((resolve, reject) => {
      const curl = spawn("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", `X-Tapis-Token: ${token}`, "-F", `file=@${file}`, "-F", "dest_path=/dev/null", `${service.baseUrl}/v3/pods/bench0/upload_to_pod`]);
      let out = "";
      curl.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
      curl.once("error", reject);
      curl.once("close", () => resolve(out));
    });
    if (status !== "200") throw new Error(`upload answered HTTP ${status}`);
    const seconds = (performance.now() - started) / 1000;
    return { client: "curl", sizeMiB, seconds: round(seconds), mibPerSecond: round(sizeMiB / seconds), rssBeforeMiB: round(before / 2 ** 20), rssPeakMiB: round(peak / 2 ** 20) };
  } finally {
    clearInterval(sampler);
    await rm(dir, { recursive: true, force: true });
  }
}

function mib(usage: NodeJS.MemoryUsage) {
  return { rss: round(usage.rss / 2 ** 20), heapUsed: round(usage.heapUsed / 2 ** 20) };
}



main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
