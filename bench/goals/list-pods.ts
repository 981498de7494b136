import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBenchChild } from "../support/child-service.js";
import { cpuMsOf, underLoad } from "../support/machine.js";
import { runWrk } from "../support/wrk.js";
import { loadSpan, median, thousands, type GoalRow } from "./goal-row.js";

export interface ListPodsOptions {
  pods: number;
  seconds: number;
  rounds: number;
  log(line: string): void;
}

interface Served {
  baseUrl: string;
  token: string;
}

/**
 * GET /v3/pods of a user with `pods` pods (embedded, SQLite, auth on): one
 * connection for the latency, beside a bare node:http server answering the
 * same bytes. First (before any list grew the heap) 10 connections while the
 * kernel's peak-RSS mark (VmHWM, reset through /proc/<pid>/clear_refs) tells
 * what lists in flight hold.
 */
export async function listPodsGoal(options: ListPodsOptions): Promise<GoalRow[]> {
  const dir = await mkdtemp(join(tmpdir(), "pods-bench-list-"));
  const embedded = await startBenchChild<Served>("bench/serve-embedded.js", [String(options.pods)]);
  const closers: (() => Promise<unknown>)[] = [() => embedded.stop(), () => rm(dir, { recursive: true, force: true })];
  try {
    const { baseUrl, token } = embedded.ready;
    const url = `${baseUrl}/v3/pods`;
    const auth = { "X-Tapis-Token": token };
    const answer = await fetch(url, { headers: auth });
    const bytes = Buffer.from(await answer.arrayBuffer());
    const listed = (JSON.parse(bytes.toString()) as { result: unknown[] }).result.length;
    if (listed !== options.pods) throw new Error(`the list holds ${listed} pods, not ${options.pods}`);
    await writeFile(join(dir, "body.json"), bytes);
    const bare = await startBenchChild<{ url: string }>("bench/peers/bare-http.js", [join(dir, "body.json")]);
    closers.push(() => bare.stop());
    const pid = embedded.child.pid!;
    const load = (target: string, headers: Record<string, string>, connections: number) => underLoad(() => runWrk({ url: target, connections, seconds: options.seconds, headers }));
    // Memory first, while the heap has not yet grown for lists: what 10 lists in flight add at their peak.
    const rssBefore = vm(pid, "VmRSS");
    resetPeak(pid);
    const held = await load(url, auth, 10);
    const peakGrowthKiB = vm(pid, "VmHWM") - rssBefore;
    const perPodKiB = peakGrowthKiB / (10 * options.pods);
    options.log(`list ${options.pods}, 10 connections: ${held.requestsPerSecond}/s, RSS ${Math.round(rssBefore / 1024)} MiB, peak +${Math.round(peakGrowthKiB / 1024)} MiB`);
    await load(url, auth, 1);
    const rounds = [];
    for (let round = 0; round < options.rounds; round++) {
      const cpuBefore = cpuMsOf(pid);
      const service = await load(url, auth, 1);
      const cpuMs = (cpuMsOf(pid) - cpuBefore) / Math.max(1, service.requests);
      const peer = await load(bare.ready.url, {}, 1);
      rounds.push({ service, peer, cpuMs });
      options.log(`list ${options.pods} round ${round + 1}: service p50 ${service.p50Ms} ms p99 ${service.p99Ms} ms, ${cpuMs.toFixed(1)} ms CPU each; bare node:http p50 ${peer.p50Ms} ms; load ${service.load[0]}`);
    }

    const p50 = median(rounds.map((r) => r.service.p50Ms));
    const loads = rounds.flatMap((r) => [r.service.load, r.peer.load]);
    const failures = rounds.reduce((sum, r) => sum + r.service.failures, 0);
    return [
      {
        goal: `List of ${thousands(options.pods)} pods (GET /v3/pods, embedded, SQLite, one connection): p50`,
        figure: `p50 ${p50} ms, p99 ${median(rounds.map((r) => r.service.p99Ms))} ms, ${median(rounds.map((r) => r.cpuMs)).toFixed(1)} ms CPU per list, ${(bytes.length / 2 ** 20).toFixed(2)} MiB${failures ? ` (${failures} failed)` : ""}`,
        peer: `bare node:http, the same bytes: p50 ${median(rounds.map((r) => r.peer.p50Ms))} ms`,
        ratio: `${(p50 / median(rounds.map((r) => r.peer.p50Ms))).toFixed(1)}× node:http`,
        target: "≤ 50 ms",
        met: p50 <= 50 && failures === 0,
        load: loadSpan(loads),
      },
      {
        goal: `List of ${thousands(options.pods)} pods: memory per listed pod (10 lists in flight)`,
        figure: `${perPodKiB.toFixed(1)} KiB per listed pod in flight (peak RSS +${Math.round(peakGrowthKiB / 1024)} MiB over ${Math.round(rssBefore / 1024)} MiB; ${held.requestsPerSecond} lists/s); ${(bytes.length / options.pods / 1024).toFixed(2)} KiB of JSON per pod`,
        peer: "–",
        ratio: `${(perPodKiB / (bytes.length / options.pods / 1024)).toFixed(1)}× the pod's JSON`,
        target: "(figure only)",
        met: true,
        load: loadSpan([held.load]),
      },
    ];
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
}

/** A VmRSS or VmHWM line of /proc/<pid>/status, in KiB. */
function vm(pid: number, field: "VmRSS" | "VmHWM"): number {
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? Number.NaN);
}

/** Resets the process's peak-RSS mark (VmHWM) to its RSS now (Linux: "5" into clear_refs). */
function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, "5");
}
