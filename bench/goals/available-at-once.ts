import { startBenchChild } from "../support/child-service.js";
import { underLoad } from "../support/machine.js";
import { barePod, kubePeer } from "../peers/kube-apiserver.js";
import { loadSpan, median, type GoalRow } from "./goal-row.js";
import { gone } from "./kubernetes-at-once.js";
import { barePodsAtOnce, names, servicePodsAtOnce, type AtOnceFigures, type ServiceApi } from "./pods-at-once.js";

export interface AvailableAtOnceOptions {
  pods: number;
  rounds: number;
  kubeconfig?: string;
  log(line: string): void;
}

/**
 * `pods` pods created at once (all in flight together) on the embedded
 * service with the simulated driver (startup 0), create → AVAILABLE per pod,
 * beside the same number of bare Pods created at once through the Kubernetes
 * API server and made Ready by kwok, interleaved round by round. Both are
 * seen by polling their list every 20 ms, so each figure is late by up to
 * that; the service's list of 100 pods costs it about 8 ms of CPU a poll.
 */
const smallPod = (name: string) => barePod(name, { cpu: "10m", memory: "16Mi" });

export async function availableAtOnceGoal(options: AvailableAtOnceOptions): Promise<GoalRow[]> {
  const embedded = await startBenchChild<ServiceApi & { userTokens: string[] }>("bench/serve-embedded.js", ["0", String(options.rounds)]);
  const kube = options.kubeconfig ? await kubePeer(options.kubeconfig) : undefined;
  const poll = { inFlight: options.pods, pollMs: 20, timeoutMs: 120_000 };
  // Each round as a user of its own: the list polled holds that round's pods alone, so polling costs the same every round.
  const asUser = (round: number) => ({ baseUrl: embedded.ready.baseUrl, token: embedded.ready.userTokens[round]! });
  try {
    const body = (name: string) => ({ pod_id: name, image: "nginx:1.27" });
    // Warm-up: JIT, statement caches.
    await servicePodsAtOnce(embedded.ready, names("warm", 20), body, poll);
    const rounds: { service: AtOnceFigures & { load: [number, number] }; kube?: AtOnceFigures & { load: [number, number] } }[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const service = await underLoad(() => servicePodsAtOnce(asUser(round), names(`burst${round}x`, options.pods), body, poll));
      const peer = kube ? await underLoad(() => barePodsAtOnce(kube.namespace, names(`burst${round}x`, options.pods), smallPod, poll)) : undefined;
      // Each round's Pods leave the node before the next: its CPUs hold about 128 of them.
      if (kube) await kube.namespace.core.deleteCollectionNamespacedPod({ namespace: kube.namespace.name, gracePeriodSeconds: 0 }).then(() => gone(kube.namespace));
      rounds.push({ service, kube: peer });
      options.log(
        `${options.pods} at once round ${round + 1}: service p50 ${service.availableMs.p50} ms p99 ${service.availableMs.p99} ms${service.failures ? ` (${service.failures} failed)` : ""}; ` +
          `kube-apiserver + kwok Ready p50 ${peer?.availableMs.p50 ?? "-"} ms p99 ${peer?.availableMs.p99 ?? "-"} ms; load ${service.load[0]}`,
      );
    }
    const p99 = median(rounds.map((r) => r.service.availableMs.p99));
    const failures = rounds.reduce((sum, r) => sum + r.service.failures, 0);
    const peerP99 = kube ? median(rounds.map((r) => r.kube!.availableMs.p99)) : undefined;
    return [
      {
        goal: `${options.pods} pods at once, create → AVAILABLE (embedded, simulated driver, startup 0): p99`,
        figure: `p99 ${p99} ms (p50 ${median(rounds.map((r) => r.service.availableMs.p50))} ms; all in ${median(rounds.map((r) => r.service.allAvailableSeconds))} s)${failures ? ` (${failures} failed)` : ""}`,
        peer: kube ? `${options.pods} bare Pods at once, kube-apiserver + kwok, create → Ready: p99 ${peerP99} ms (p50 ${median(rounds.map((r) => r.kube!.availableMs.p50))} ms)` : "–",
        ratio: peerP99 ? `${(p99 / peerP99).toFixed(2)}× the API server's` : "–",
        target: "≤ 250 ms",
        met: p99 <= 250 && failures === 0,
        load: loadSpan(rounds.flatMap((r) => [r.service.load, ...(r.kube ? [r.kube.load] : [])])),
      },
    ];
  } finally {
    await kube?.remove().catch(() => undefined);
    await embedded.stop();
  }
}
