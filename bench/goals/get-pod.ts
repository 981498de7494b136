import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startInstallation } from "../../test/support/installation.js";
import { startBenchChild } from "../support/child-service.js";
import { cpuMsOf, underLoad } from "../support/machine.js";
import { runWrk, type WrkFigures } from "../support/wrk.js";
import { kubePeer } from "../peers/kube-apiserver.js";
import { loadSpan, median, percent, thousands, type GoalRow } from "./goal-row.js";

export interface GetPodOptions {
  /** Seconds of each wrk run. */
  seconds: number;
  /** Rounds; each runs every target once, back to back, and ratios are taken within a round. */
  rounds: number;
  kubeconfig?: string;
  /** MariaDB and Kafka for the distributed installation; without them it is skipped. */
  distributed?: { mysqlUrl: string; kafka: string };
  log(line: string): void;
}

interface Served {
  baseUrl: string;
  token: string;
}

/**
 * GET /v3/pods/{id} through gateway and control plane (embedded, auth on,
 * 50 connections), beside a bare node:http server answering the same bytes
 * and the Kubernetes API server's GET of a pod, interleaved round by round;
 * then one connection alone, and the distributed installation.
 */
export async function getPodGoal(options: GetPodOptions): Promise<GoalRow[]> {
  const dir = await mkdtemp(join(tmpdir(), "pods-bench-get-"));
  const embedded = await startBenchChild<Served>("bench/serve-embedded.js", ["1"]);
  const closers: (() => Promise<unknown>)[] = [() => embedded.stop(), () => rm(dir, { recursive: true, force: true })];
  try {
    const { baseUrl, token } = embedded.ready;
    const podUrl = `${baseUrl}/v3/pods/bench0`;
    const body = await fetch(podUrl, { headers: { "X-Tapis-Token": token } });
    if (!body.ok) throw new Error(`GET pod answered ${body.status}`);
    await writeFile(join(dir, "body.json"), Buffer.from(await body.arrayBuffer()));
    const bare = await startBenchChild<{ url: string }>("bench/peers/bare-http.js", [join(dir, "body.json")]);
    closers.push(() => bare.stop());
    const kube = options.kubeconfig ? await kubePeer(options.kubeconfig) : undefined;
    if (kube) {
      closers.push(() => kube.remove());
      await kube.createPod("peer0");
    }
    const auth = { "X-Tapis-Token": token };
    const load = (url: string, headers: Record<string, string> = {}, connections = 50) => underLoad(() => runWrk({ url, connections, seconds: options.seconds, headers }));
    // CPU the service spends per GET: steadier than rates while other work shares the machine.
    const measured = async (connections = 50) => {
      const cpuBefore = cpuMsOf(embedded.child.pid!);
      const figures = await load(podUrl, auth, connections);
      return { ...figures, cpuMsPerRequest: (cpuMsOf(embedded.child.pid!) - cpuBefore) / Math.max(1, figures.requests) };
    };
    // Warm-up: JIT, connection pools, statement caches.
    await load(podUrl, auth);
    if (kube) await load(kube.podUrl("peer0"), kube.headers);

    const rounds: { service: WrkFigures & { load: [number, number]; cpuMsPerRequest: number }; bare: WrkFigures & { load: [number, number] }; kube?: WrkFigures & { load: [number, number] } }[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const service = await measured();
      const peer = await load(bare.ready.url);
      const apiserver = kube ? await load(kube.podUrl("peer0"), kube.headers) : undefined;
      rounds.push({ service, bare: peer, kube: apiserver });
      options.log(`get round ${round + 1}: service ${service.requestsPerSecond}/s p99 ${service.p99Ms} ms, ${service.cpuMsPerRequest.toFixed(3)} ms CPU each; bare ${peer.requestsPerSecond}/s; kube-apiserver ${apiserver?.requestsPerSecond ?? "-"}/s; load ${service.load[0]}`);
    }
    const single = await measured(1);
    options.log(`get one connection: p50 ${single.p50Ms} ms, p99 ${single.p99Ms} ms, ${single.cpuMsPerRequest.toFixed(3)} ms CPU each`);

    const serviceRps = median(rounds.map((r) => r.service.requestsPerSecond));
    const serviceP99 = median(rounds.map((r) => r.service.p99Ms));
    const ofBare = median(rounds.map((r) => r.service.requestsPerSecond / r.bare.requestsPerSecond));
    const loads = rounds.flatMap((r) => [r.service.load, r.bare.load, ...(r.kube ? [r.kube.load] : [])]);
    const failures = rounds.reduce((sum, r) => sum + r.service.failures, 0);
    const rows: GoalRow[] = [
      {
        goal: "GET pod, embedded, 50 connections: ≥ 25% of bare node:http",
        figure: `${thousands(serviceRps)} req/s, ${median(rounds.map((r) => r.service.cpuMsPerRequest)).toFixed(2)} ms CPU per GET${failures ? ` (${failures} failed)` : ""}`,
        peer: `bare node:http ${thousands(median(rounds.map((r) => r.bare.requestsPerSecond)))} req/s`,
        ratio: percent(ofBare),
        target: "≥ 25%",
        met: ofBare >= 0.25 && failures === 0,
        load: loadSpan(loads),
      },
      {
        goal: "GET pod, embedded, 50 connections: p99",
        figure: `p99 ${serviceP99} ms (p50 ${median(rounds.map((r) => r.service.p50Ms))} ms)`,
        peer: kube ? `kube-apiserver p99 ${median(rounds.map((r) => r.kube!.p99Ms))} ms` : "–",
        ratio: "–",
        target: "≤ 15 ms",
        met: serviceP99 <= 15,
        load: loadSpan(loads),
      },
      {
        goal: "GET pod, one connection",
        figure: `p50 ${single.p50Ms} ms, p99 ${single.p99Ms} ms, ${single.cpuMsPerRequest.toFixed(2)} ms CPU per GET`,
        peer: "–",
        ratio: "–",
        target: "(figure only)",
        met: true,
        load: loadSpan([single.load]),
      },
    ];
    if (kube) {
      const ofKube = median(rounds.map((r) => r.service.requestsPerSecond / r.kube!.requestsPerSecond));
      rows.splice(1, 0, {
        goal: "GET pod, embedded, 50 connections: ≥ kube-apiserver GET pod",
        figure: `${thousands(serviceRps)} req/s`,
        peer: `kube-apiserver ${thousands(median(rounds.map((r) => r.kube!.requestsPerSecond)))} req/s (TLS, token auth, etcd)`,
        ratio: `${ofKube.toFixed(2)}×`,
        target: "≥ 1×",
        met: ofKube >= 1,
        load: loadSpan(loads),
      });
    }
    if (options.distributed) rows.push(await distributedGet(options, podUrl, auth));
    return rows;
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
}

/**
 * The distributed installation (gateway and control plane each a process of
 * their own, MariaDB, Kafka, one simulated agent), interleaved with the
 * embedded service, which is still running.
 */
async function distributedGet(options: GetPodOptions, embeddedUrl: string, embeddedAuth: Record<string, string>): Promise<GoalRow> {
  process.env.PODS_TEST_MYSQL_URL = options.distributed!.mysqlUrl;
  process.env.PODS_TEST_KAFKA = options.distributed!.kafka;
  const installation = await startInstallation({ replicas: 1, agents: [{ name: "agent-a1", cluster: "a", replicas: [0] }] });
  try {
    const token = await installation.token("bench");
    const created = await installation.api("POST", "/v3/pods", token, { pod_id: "bench0", template: "postgres" });
    if (created.status !== 200) throw new Error(`create answered ${created.status}`);
    const url = `${installation.gatewayUrl}/v3/pods/bench0`;
    const auth = { "X-Tapis-Token": token };
    const load = (target: string, headers: Record<string, string>) => underLoad(() => runWrk({ url: target, connections: 50, seconds: options.seconds, headers }));
    await load(url, auth);
    const ratios: number[] = [];
    const loads: [number, number][] = [];
    const figures: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const distributed = await load(url, auth);
      const embedded = await load(embeddedUrl, embeddedAuth);
      ratios.push(distributed.requestsPerSecond / embedded.requestsPerSecond);
      figures.push(distributed.requestsPerSecond);
      loads.push(distributed.load, embedded.load);
      options.log(`get distributed round ${round + 1}: ${distributed.requestsPerSecond}/s p99 ${distributed.p99Ms} ms; embedded ${embedded.requestsPerSecond}/s`);
    }
    const ratio = median(ratios);
    return {
      goal: "GET pod, distributed (gateway, control plane on MariaDB: separate processes), 50 connections",
      figure: `${thousands(median(figures))} req/s`,
      peer: "the embedded figure, same run",
      ratio: percent(ratio),
      target: "≥ 60%",
      met: ratio >= 0.6,
      load: loadSpan(loads),
    };
  } finally {
    await installation.stop();
  }
}
