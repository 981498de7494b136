import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createTestDatabase, testEncryptionKey } from "../test/support/test-database.js";
import { startInstallation } from "../test/support/installation.js";
import { agentEventsGoal } from "./goals/agent-events.js";
import { availableAtOnceGoal } from "./goals/available-at-once.js";
import { createPodGoal } from "./goals/create-pod.js";
import { getPodGoal } from "./goals/get-pod.js";
import type { GoalRow } from "./goals/goal-row.js";
import { kubernetesAtOnceGoal } from "./goals/kubernetes-at-once.js";
import { listPodsGoal } from "./goals/list-pods.js";
import { memoryGoal } from "./goals/memory.js";
import { loadAverage, machine } from "./support/machine.js";
import { requireWrk } from "./support/wrk.js";

/**
 * Every performance goal of the service with its peer measured in the same
 * run, written as one table into bench/RESULTS.md.
 * Environment: BENCH_QUICK=1 for the short variant; PODS_BENCH_KUBECONFIG,
 * PODS_TEST_MYSQL_URL and PODS_TEST_KAFKA for the parts that need them
 * (bench/run.sh starts them with scripts/infra); BENCH_PARTS to run only some
 * parts (comma-separated: get, create, create-mariadb, at-once, list, events,
 * memory, kubernetes). The quick variant leaves out memory and kubernetes
 * (10,000 and 2 × 1,000 pods: minutes each) unless BENCH_PARTS names them,
 * and the distributed GET.
 */
async function main(): Promise<void> {
  requireWrk();
  const quick = process.env.BENCH_QUICK === "1";
  const everyPart = ["get", "create", "create-mariadb", "at-once", "list", "events", ...(quick ? [] : ["memory", "kubernetes"])];
  const parts = new Set(process.env.BENCH_PARTS ? process.env.BENCH_PARTS.split(",") : everyPart);
  const kubeconfig = process.env.PODS_BENCH_KUBECONFIG || undefined;
  const mysqlUrl = process.env.PODS_TEST_MYSQL_URL;
  const kafka = process.env.PODS_TEST_KAFKA;
  const distributed = mysqlUrl && kafka ? { mysqlUrl, kafka } : undefined;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = Date.now();
  const startLoad = loadAverage();
  const rows: GoalRow[] = [];
  if (parts.has("get")) rows.push(...(await getPodGoal({ seconds: quick ? 5 : 10, rounds: 3, kubeconfig, distributed: quick ? undefined : distributed, log })));
  if (parts.has("create")) rows.push(...(await createPodGoal({ seconds: quick ? 5 : 10, rounds: 3, kubeconfig, log })));
  if (parts.has("create-mariadb") && mysqlUrl) {
    const database = await createTestDatabase(mysqlUrl);
    try {
      const store = { name: "MariaDB", env: { PODS_DATABASE_URL: database.url, PODS_ENCRYPTION_KEY: testEncryptionKey }, goalPerSecond: 500 };
      rows.push(...(await createPodGoal({ seconds: quick ? 5 : 10, rounds: 3, kubeconfig, store, log })));
    } finally {
      await database.drop();
    }
  }
  if (parts.has("at-once")) rows.push(...(await availableAtOnceGoal({ pods: 100, rounds: 3, kubeconfig, log })));
  if (parts.has("list")) rows.push(...(await listPodsGoal({ pods: 1000, seconds: quick ? 3 : 5, rounds: 3, log })));
  if ((parts.has("events") || parts.has("memory")) && distributed) {
    process.env.PODS_TEST_MYSQL_URL = distributed.mysqlUrl;
    process.env.PODS_TEST_KAFKA = distributed.kafka;
    const installation = await startInstallation({ replicas: 1, agents: [{ name: "agent-a1", cluster: "a", replicas: [0] }] });
    try {
      const token = await installation.token("bench");
      if (parts.has("events")) rows.push(...(await agentEventsGoal(installation, token, { creates: quick ? 300 : 1000, inFlight: 50, kafka: distributed.kafka, log })));
      if (parts.has("memory")) {
        const bareBody = join(dirname(fileURLToPath(import.meta.url)), "goals.js");
        rows.push(...(await memoryGoal(installation, token, { agentPods: 1000, databasePods: 10_000, inFlight: 50, bareBody, log })));
      }
    } finally {
      await installation.stop();
    }
  }
  if (parts.has("kubernetes") && kubeconfig) rows.push(...(await kubernetesAtOnceGoal({ pods: 1000, inFlight: 50, kubeconfig, log })));
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const table = renderTable(rows, { quick, minutes, load: [startLoad, loadAverage()] });
  process.stdout.write(table);
  if (process.env.BENCH_WRITE !== "0") await appendToResults(table);
}

function renderTable(rows: GoalRow[], run: { quick: boolean; minutes: string; load: [number, number] }): string {
  const date = new Date().toISOString().slice(0, 16).replace("T", " ");
  const lines = [
    `## ${date} UTC — performance goals${run.quick ? " (BENCH=quick)" : ""}`,
    "",
    `Machine: ${machine()}. Run took ${run.minutes} min; load average ${run.load[0]} at its start, ${run.load[1]} at its end.`,
    "",
    "| goal | figure | peer, same run | ratio | target | met | load |",
    "|---|---|---|---|---|---|---|",
    ...rows.map((r) => `| ${r.goal} | ${r.figure} | ${r.peer} | ${r.ratio} | ${r.target} | ${r.met ? "yes" : "**no**"} | ${r.load} |`),
    "",
  ];
  return lines.join("\n") + "\n";
}

async function appendToResults(table: string): Promise<void> {
  const file = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bench", "RESULTS.md");
  const text = await readFile(file, "utf8");
  await writeFile(file, `${text.trimEnd()}\n\n${table}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
