import { startBenchChild } from "../support/child-service.js";
import { cpuMsOf, underLoad } from "../support/machine.js";
import { runWrk, type WrkFigures } from "../support/wrk.js";
import { barePod, kubePeer } from "../peers/kube-apiserver.js";
import { loadSpan, median, thousands, type GoalRow } from "./goal-row.js";

export interface CreatePodOptions {
  /** Seconds of each wrk run. */
  seconds: number;
  /** Rounds; each runs the service and its peer once, back to back. */
  rounds: number;
  kubeconfig?: string;
  /** The embedded service's store: SQLite in its data folder unless a MariaDB database is named. */
  store?: { name: string; env: Record<string, string>; goalPerSecond: number };
  log(line: string): void;
}

interface Served {
  baseUrl: string;
  token: string;
}

type Measured = WrkFigures & { load: [number, number] };

/**
 * POST /v3/pods (an image, 20 connections, every request a new pod) on the
 * embedded service with SQLite, beside the Kubernetes API server creating
 * bare Pods the same way, interleaved round by round. The service's agent
 * (simulated driver) takes every pod to AVAILABLE meanwhile, as it would.
 */
export async function createPodGoal(options: CreatePodOptions): Promise<GoalRow[]> {
  const store = options.store ?? { name: "SQLite", env: {}, goalPerSecond: 1000 };
  const embedded = await startBenchChild<Served>("bench/serve-embedded.js", ["1"], store.env);
  const kube = options.kubeconfig ? await kubePeer(options.kubeconfig) : undefined;
  try {
    const { baseUrl, token } = embedded.ready;
    let run = 0;
    // Each run its own name prefix, so that no create meets a pod of an earlier run.
    const service = async (): Promise<Measured & { cpuMsPerRequest: number }> => {
      const cpuBefore = cpuMsOf(embedded.child.pid!);
      const figures = await underLoad(() =>
        runWrk({ url: `${baseUrl}/v3/pods`, connections: 20, seconds: options.seconds, lua: createLua(`r${run++}x`, { "X-Tapis-Token": token }, (name) => `{"pod_id":"${name}","image":"nginx:1.27"}`) }),
      );
      return { ...figures, cpuMsPerRequest: (cpuMsOf(embedded.child.pid!) - cpuBefore) / Math.max(1, figures.requests) };
    };
    const peer = async (): Promise<Measured> =>
      underLoad(() =>
        runWrk({
          url: `${kube!.server}/api/v1/namespaces/${kube!.namespace.name}/pods`,
          connections: 20,
          seconds: options.seconds,
          lua: createLua(`r${run++}x`, kube!.headers, (name) => JSON.stringify(barePod(name))),
        }),
      );
    // Warm-up: JIT, statement caches, the API server's watch caches.
    await service();
    if (kube) await peer();
    const rounds: { service: Measured & { cpuMsPerRequest: number }; kube?: Measured }[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const ours = await service();
      const theirs = kube ? await peer() : undefined;
      rounds.push({ service: ours, kube: theirs });
      options.log(
        `create (${store.name}) round ${round + 1}: service ${ours.requestsPerSecond}/s p99 ${ours.p99Ms} ms, ${ours.cpuMsPerRequest.toFixed(2)} ms CPU each` +
          `${ours.failures ? ` (${ours.failures} failed)` : ""}; kube-apiserver ${theirs?.requestsPerSecond ?? "-"}/s p99 ${theirs?.p99Ms ?? "-"} ms; load ${ours.load[0]}`,
      );
    }
    const rate = median(rounds.map((r) => r.service.requestsPerSecond));
    const p99 = median(rounds.map((r) => r.service.p99Ms));
    const failures = rounds.reduce((sum, r) => sum + r.service.failures, 0);
    const loads = rounds.flatMap((r) => [r.service.load, ...(r.kube ? [r.kube.load] : [])]);
    const peerText = kube ? `kube-apiserver ${thousands(median(rounds.map((r) => r.kube!.requestsPerSecond)))} creates/s, p99 ${median(rounds.map((r) => r.kube!.p99Ms))} ms` : "–";
    const ofKube = kube ? median(rounds.map((r) => r.service.requestsPerSecond / r.kube!.requestsPerSecond)) : undefined;
    return [
      {
        goal: `Create, embedded (${store.name}), 20 connections: ≥ ${thousands(store.goalPerSecond)} creates/s`,
        figure: `${thousands(rate)} creates/s, ${median(rounds.map((r) => r.service.cpuMsPerRequest)).toFixed(2)} ms CPU per create${failures ? ` (${failures} failed)` : ""}`,
        peer: peerText,
        ratio: `${Math.round((rate / store.goalPerSecond) * 100)}% of goal${ofKube !== undefined ? `; ${ofKube.toFixed(2)}× kube-apiserver` : ""}`,
        target: `≥ ${thousands(store.goalPerSecond)}/s`,
        met: rate >= store.goalPerSecond && failures === 0,
        load: loadSpan(loads),
      },
      {
        goal: `Create, embedded (${store.name}), 20 connections: p99`,
        figure: `p99 ${p99} ms (p50 ${median(rounds.map((r) => r.service.p50Ms))} ms)`,
        peer: peerText,
        ratio: "–",
        target: "≤ 50 ms",
        met: p99 <= 50,
        load: loadSpan(loads),
      },
    ];
  } finally {
    await kube?.remove().catch(() => undefined);
    await embedded.stop();
  }
}

/** A wrk script POSTing a new name every request: `prefix` and a counter, put where `body(name)` puts its name. */
function createLua(prefix: string, headers: Record<string, string>, body: (name: string) => string): string {
  const marker = "@@name@@";
  // The JSON holds no single quote: it is a Lua string as it is, the name spliced in.
  const luaBody = `'${body(marker).replace(marker, "' .. name .. '")}'`;
  const luaHeaders = Object.entries({ ...headers, "Content-Type": "application/json" })
    .map(([name, value]) => `["${name}"] = "${value}"`)
    .join(", ");
  return [
    "local n = 0",
    "request = function()",
    "  n = n + 1",
    `  local name = "${prefix}" .. n`,
    `  return wrk.format("POST", nil, { ${luaHeaders} }, ${luaBody})`,
    "end",
    "",
  ].join("\n");
}
