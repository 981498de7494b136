import { mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { readEmbeddedConfig } from "../embedded/config.js";
import { startEmbedded } from "../embedded/start-embedded.js";
import { createJsonLogger } from "../shared/logging/logger.js";
import { round, summary } from "./stats.js";

/**
 * Pod lifecycle figures on the embedded defaults (SQLite, in-process bus,
 * simulated cluster with no startup delay): REST create latency, create →
 * AVAILABLE latency for pods created at once, and GET latency.
 * Usage: npm run bench [-- <pods>]
 */
async function main(): Promise<void> {
  const pods = Number(process.argv[2] ?? 100);
  const dataDir = await mkdtemp(join(tmpdir(), "pods-bench-"));
  const config = readEmbeddedConfig({
    PODS_DATA_DIR: dataDir,
    PODS_HTTP_PORT: "0",
    PODS_GRPC_PORT: "0",
    PODS_SIMULATED_STARTUP_MS: "0",
    PODS_LOG_LEVEL: "error",
    ...(process.env.PODS_DATABASE_URL ? { PODS_DATABASE_URL: process.env.PODS_DATABASE_URL } : {}),
    ...(process.env.PODS_ENCRYPTION_KEY ? { PODS_ENCRYPTION_KEY: process.env.PODS_ENCRYPTION_KEY } : {}),
  });
  const service = await startEmbedded(config, createJsonLogger({ level: "error" }));
  const token = (await service.issuer.access("bench", "password")).token;
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${service.baseUrl}${path}`, {
      method,
      headers: { "X-Tapis-Token": token, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as { result: any };
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json.result;
  };

  try {
    const createdAt = new Map<string, number>();
    const createLatency: number[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: pods }, async (_, i) => {
        const podId = `bench${i}`;
        const t0 = performance.now();
        await call("POST", "/v3/pods", { pod_id: podId, template: "postgres" });
        createLatency.push(performance.now() - t0);
        createdAt.set(podId, t0);
      }),
    );
    const createSeconds = (performance.now() - started) / 1000;

    const availableLatency: number[] = [];
    const seen = new Set<string>();
    while (seen.size < pods) {
      const list = (await call("GET", "/v3/pods")) as { pod_id: string; status: string }[];
      const now = performance.now();
      for (const pod of list) {
        if (pod.status === "AVAILABLE" && !seen.has(pod.pod_id)) {
          seen.add(pod.pod_id);
          availableLatency.push(now - createdAt.get(pod.pod_id)!);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const getLatency: number[] = [];
    for (let i = 0; i < 500; i++) {
      const t0 = performance.now();
      await call("GET", `/v3/pods/bench${i % pods}`);
      getLatency.push(performance.now() - t0);
    }

    const report = {
      machine: `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      database: config.controlPlane.database.kind,
      pods,
      createThroughputPerSecond: round(pods / createSeconds),
      createMs: summary(createLatency),
      createToAvailableMs: summary(availableLatency),
      getPodMs: summary(getLatency),
    };
    process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  } finally {
    await service.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}



main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
