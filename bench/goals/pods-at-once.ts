import type { V1Pod } from "@kubernetes/client-node";
import type { ScratchNamespace } from "../../test/support/scratch-namespace.js";
import { summary } from "../stats.js";

/** How long pods created together took to reach AVAILABLE (the service) or Ready (bare Pods). */
export interface AtOnceFigures {
  pods: number;
  /** Create sent → first seen AVAILABLE (or Ready), per pod. */
  availableMs: { p50: number; p99: number; max: number };
  /** First create sent → the last pod AVAILABLE. */
  allAvailableSeconds: number;
  failures: number;
}

export interface ServiceApi {
  baseUrl: string;
  token: string;
}

/**
 * Creates `names` through the service's REST API, `inFlight` at a time, and
 * polls the list every `pollMs` until each is AVAILABLE (deadline `timeoutMs`).
 */
export async function servicePodsAtOnce(api: ServiceApi, names: string[], body: (name: string) => unknown, options: { inFlight: number; pollMs: number; timeoutMs: number }): Promise<AtOnceFigures> {
  const headers = { "X-Tapis-Token": api.token, "Content-Type": "application/json" };
  const sentAt = new Map<string, number>();
  let failures = 0;
  const started = performance.now();
  const creating = inParallel(names, options.inFlight, async (name) => {
    sentAt.set(name, performance.now());
    const response = await fetch(`${api.baseUrl}/v3/pods`, { method: "POST", headers, body: JSON.stringify(body(name)) });
    await response.arrayBuffer();
    if (!response.ok) failures++;
  });
  const listAvailable = async () => {
    const response = await fetch(`${api.baseUrl}/v3/pods`, { headers });
    if (!response.ok) return [];
    const pods = ((await response.json()) as { result: { pod_id: string; status: string }[] }).result;
    return pods.filter((pod) => pod.status === "AVAILABLE").map((pod) => pod.pod_id);
  };
  const figures = await waitUntilAll(sentAt, names.length, listAvailable, started, options);
  await creating;
  return { ...figures, failures: failures + (names.length - figures.seen) };
}

/** The same for bare Pods created directly through the Kubernetes API server, until each is Ready. */
export async function barePodsAtOnce(namespace: ScratchNamespace, names: string[], pod: (name: string) => V1Pod, options: { inFlight: number; pollMs: number; timeoutMs: number }): Promise<AtOnceFigures> {
  const sentAt = new Map<string, number>();
  let failures = 0;
  const started = performance.now();
  const creating = inParallel(names, options.inFlight, async (name) => {
    sentAt.set(name, performance.now());
    await namespace.core.createNamespacedPod({ namespace: namespace.name, body: pod(name) }).catch(() => failures++);
  });
  const listReady = async () => {
    const list = await namespace.core.listNamespacedPod({ namespace: namespace.name });
    return list.items.filter((p) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")).map((p) => p.metadata!.name!);
  };
  const figures = await waitUntilAll(sentAt, names.length, listReady, started, options);
  await creating;
  return { ...figures, failures: failures + (names.length - figures.seen) };
}

async function waitUntilAll(sentAt: Map<string, number>, count: number, listDone: () => Promise<string[]>, started: number, options: { pollMs: number; timeoutMs: number }) {
  const latencies: number[] = [];
  const seen = new Set<string>();
  const deadline = started + options.timeoutMs;
  while (seen.size < count && performance.now() < deadline) {
    const done = await listDone().catch(() => [] as string[]);
    const now = performance.now();
    for (const name of done) {
      const sent = sentAt.get(name);
      if (sent === undefined || seen.has(name)) continue;
      seen.add(name);
      latencies.push(now - sent);
    }
    if (seen.size < count) await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
  return { pods: count, availableMs: summary(latencies), allAvailableSeconds: Math.round((performance.now() - started) / 100) / 10, seen: seen.size };
}

/** Runs `work` over `items`, at most `limit` at a time. */
export async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

export const names = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);
