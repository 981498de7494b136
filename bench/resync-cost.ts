import { mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import type { Interceptor } from "@connectrpc/connect";
import { startAgent } from "../agent/create-agent.js";
import { SimulatedDriver } from "../agent/drivers/simulated-driver.js";
import { readEmbeddedConfig } from "../embedded/config.js";
import { startEmbedded } from "../embedded/start-embedded.js";
import { InProcessEventBus } from "../shared/events/in-process-event-bus.js";
import { createJsonLogger } from "../shared/logging/logger.js";
import { createTestDatabase } from "../test/support/test-database.js";
import { round } from "./stats.js";

/**
 * What one resync of a cluster costs: the embedded service (SQLite, or a
 * fresh database on the MySQL/MariaDB server of PODS_TEST_MYSQL_URL) holds
 * `pods` AVAILABLE pods; a second agent of the cluster with a bus of its own
 * (so it holds every pod) resyncs once to take them all on, then `rounds` more times with everything in sync.
 * Reports the agent's calls to the control plane per resync and its wall
 * time. Usage: node dist/bench/resync-cost.js [pods] [rounds]
 */
async function main(): Promise<void> {
  const pods = Number(process.argv[2] ?? 2000);
  const rounds = Number(process.argv[3] ?? 5);
  const dataDir = await mkdtemp(join(tmpdir(), "pods-bench-"));
  const database = process.env.PODS_TEST_MYSQL_URL ? await createTestDatabase(process.env.PODS_TEST_MYSQL_URL) : undefined;
  const config = readEmbeddedConfig({
    PODS_DATA_DIR: dataDir,
    PODS_HTTP_PORT: "0",
    PODS_GRPC_PORT: "0",
    PODS_SIMULATED_STARTUP_MS: "0",
    PODS_AGENT_RESYNC_SECONDS: "0",
    PODS_LOG_LEVEL: "error",
    ...(database ? { PODS_DATABASE_URL: database.url } : {}),
  });
  const service = await startEmbedded(config, createJsonLogger({ level: "error" }));
  const call = async (username: string, method: string, path: string, body?: unknown) => {
    const token = (await service.issuer.access(username, "password")).token;
    const response = await fetch(`${service.baseUrl}${path}`, {
      method,
      headers: { "X-Tapis-Token": token, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as { result: any };
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json.result;
  };
  const bus = new InProcessEventBus();
  const calls = new Map<string, number>();
  const countCalls: Interceptor = (next) => (req) => {
    if (req.method.name !== "Session") calls.set(req.method.name, (calls.get(req.method.name) ?? 0) + 1);
    return next(req);
  };
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < pods) await call("bench", "POST", "/v3/pods", { pod_id: `resync${next++}`, template: "postgres" });
      }),
    );
    for (;;) {
      const listed = (await call("bench", "GET", "/v3/pods")) as { status: string }[];
      if (listed.filter((pod) => pod.status === "AVAILABLE").length >= pods) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const secret = (await call("admin", "POST", "/v3/pods/clusters/local/agent_tokens", { description: "bench" })).secret as string;
    const agent = await startAgent({
      clusterId: "local",
      agentId: "bench-agent",
      controlPlaneUrls: [service.grpcUrl],
      agentToken: secret,
      bus,
      createDriver: (sink) => new SimulatedDriver(sink, 0),
      storageDir: config.storageDir,
      resyncSeconds: 0,
      concurrency: config.agentConcurrency,
      deadlines: config.agentDeadlines,
      interceptors: [countCalls],
      logger: createJsonLogger({ level: "error" }),
    });
    const measure = async () => {
      calls.clear();
      const started = performance.now();
      const summary = await agent.resync();
      return { ms: Math.round(performance.now() - started), listed: summary.listed, calls: Object.fromEntries(calls) };
    };
    const takeOn = await measure();
    const inSync = [];
    for (let i = 0; i < rounds; i++) inSync.push(await measure());
    const times = inSync.map((r) => r.ms).sort((a, b) => a - b);
    await agent.stop();
    console.log(
      JSON.stringify(
        {
          machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30), node: process.version },
          database: config.controlPlane.database.kind,
          pods,
          takeOn,
          inSync: { calls: inSync[0]?.calls, msMedian: times[Math.floor(times.length / 2)], msAll: inSync.map((r) => r.ms) },
        },
        null,
        2,
      ),
    );
  } finally {
    await service.stop();
    await bus.close();
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
