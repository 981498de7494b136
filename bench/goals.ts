import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createPodGoal } from "./goals/create-pod.js";
import { getPodGoal } from "./goals/get-pod.js";
import type { GoalRow } from "./goals/goal-row.js";
import { loadAverage, machine } from "./support/machine.js";
import { requireWrk } from "./support/wrk.js";

/**
 * Every performance goal of the service with its peer measured in the same
 * run, written as one table into bench/RESULTS.md.
 * Environment: BENCH_QUICK=1 for the short variant; PODS_BENCH_KUBECONFIG,
 * PODS_TEST_MYSQL_URL and PODS_TEST_KAFKA for the parts that need them
 * (bench/run.sh starts them with scripts/infra); BENCH_PARTS to run only some
 * parts (comma-separated: get, create).
 */
async function main(): Promise<void> {
  requireWrk();
  const quick = process.env.BENCH_QUICK === "1";
  const parts = new Set((process.env.BENCH_PARTS ?? "get,create").split(","));
  const kubeconfig = process.env.PODS_BENCH_KUBECONFIG || undefined;
  const mysqlUrl = process.env.PODS_TEST_MYSQL_URL;
  const kafka = process.env.PODS_TEST_KAFKA;
  const distributed = mysqlUrl && kafka ? { mysqlUrl, kafka } : undefined;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = Date.now();
  const startLoad = loadAverage();
  const rows: GoalRow[] = [];
  if (parts.has("get")) rows.push(...(await getPodGoal({ seconds: quick ? 5 : 10, rounds: 3, kubeconfig, distributed, log })));
  if (parts.has("create")) rows.push(...(await createPodGoal({ seconds: quick ? 5 : 10, rounds: 3, kubeconfig, log })));
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
