import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readEmbeddedConfig } from "../embedded/config.js";
import { startEmbedded } from "../embedded/start-embedded.js";
import { createJsonLogger } from "../shared/logging/logger.js";

/**
 * The embedded service in a process of its own, for load generators (wrk)
 * and profilers to measure it alone: starts it on a fresh data folder,
 * creates `pods` pods, prints {"baseUrl", "grpcUrl", "token", "userTokens"}
 * as one JSON line on stdout and runs until SIGTERM or SIGINT; userTokens are
 * of `users` more users (bench1, bench2, ...), each with no pod.
 * Extra PODS_* settings come from the environment.
 * Usage: node dist/bench/serve-embedded.js [pods] [users]
 */
async function main(): Promise<void> {
  const pods = Number(process.argv[2] ?? 1);
  const dataDir = await mkdtemp(join(tmpdir(), "pods-bench-serve-"));
  const config = readEmbeddedConfig({
    PODS_SIMULATED_STARTUP_MS: "0",
    PODS_LOG_LEVEL: "error",
    ...process.env,
    PODS_DATA_DIR: dataDir,
    PODS_HTTP_PORT: "0",
    PODS_GRPC_PORT: "0",
  });
  const service = await startEmbedded(config, createJsonLogger({ level: "error" }));
  const token = (await service.issuer.access("bench", "password")).token;
  const userTokens = await Promise.all(Array.from({ length: Number(process.argv[3] ?? 0) }, async (_, i) => (await service.issuer.access(`bench${i + 1}`, "password")).token));
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(20, pods) }, async () => {
      while (next < pods) {
        const podId = `bench${next++}`;
        const response = await fetch(`${service.baseUrl}/v3/pods`, {
          method: "POST",
          headers: { "X-Tapis-Token": token, "Content-Type": "application/json" },
          body: JSON.stringify({ pod_id: podId, template: "postgres" }),
        });
        if (!response.ok) throw new Error(`create ${podId}: ${response.status} ${await response.text()}`);
      }
    }),
  );
  process.stdout.write(JSON.stringify({ baseUrl: service.baseUrl, grpcUrl: service.grpcUrl, token, userTokens }) + "\n");
  const stop = async () => {
    await service.stop();
    await rm(dataDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop());
  process.once("SIGINT", () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
