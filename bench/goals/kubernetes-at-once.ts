import { createScratchNamespace, type ScratchNamespace } from "../../test/support/scratch-namespace.js";
import { startBenchChild } from "../support/child-service.js";
import { underLoad } from "../support/machine.js";
import { barePod, kubePeer } from "../peers/kube-apiserver.js";
import { loadSpan, thousands, type GoalRow } from "./goal-row.js";
import { barePodsAtOnce, names, servicePodsAtOnce, type ServiceApi } from "./pods-at-once.js";

export interface KubernetesAtOnceOptions {
  pods: number;
  inFlight: number;
  kubeconfig: string;
  log(line: string): void;
}

// Small requests, so that both sets fit the one kwok node (32 CPUs, 256 GiB).
const requests = { cpuMilli: 10, memoryMiB: 16 };

/**
 * `pods` pods through the embedded service and its agent into the real
 * API server + kwok, `inFlight` creates at a time, until every one is
 * AVAILABLE; beside the same number of bare Pods created directly through
 * the API server until every one is Ready (first, in a namespace removed
 * before the service's run starts).
 */
export async function kubernetesAtOnceGoal(options: KubernetesAtOnceOptions): Promise<GoalRow[]> {
  const kube = await kubePeer(options.kubeconfig);
  const poll = { inFlight: options.inFlight, pollMs: 250, timeoutMs: 900_000 };
  const bare = (name: string) => barePod(name, { cpu: `${requests.cpuMilli}m`, memory: `${requests.memoryMiB}Mi` });
  let peer;
  try {
    peer = await underLoad(() => barePodsAtOnce(kube.namespace, names("bare", options.pods), bare, poll));
  } finally {
    await kube.remove();
  }
  options.log(`kubernetes: ${options.pods} bare Pods Ready in ${peer.allAvailableSeconds} s (p50 ${peer.availableMs.p50} ms, p99 ${peer.availableMs.p99} ms); load ${peer.load[0]}–${peer.load[1]}`);
  await gone(kube.namespace);

  const scratch = await createScratchNamespace(options.kubeconfig, "pods-bench-goal");
  const embedded = await startBenchChild<ServiceApi>("bench/serve-embedded.js", ["0"], {
    PODS_KUBECONFIG: options.kubeconfig,
    PODS_K8S_NAMESPACE: scratch.name,
    PODS_K8S_STOP_GRACE_SECONDS: "0",
    PODS_POD_MIN_CPU: String(requests.cpuMilli),
    PODS_POD_MIN_MEMORY_MB: String(requests.memoryMiB),
  });
  try {
    const body = (name: string) => ({
      pod_id: name,
      image: "nginx:1.27",
      resources: { cpu_request: requests.cpuMilli, cpu_limit: requests.cpuMilli, mem_request: requests.memoryMiB, mem_limit: requests.memoryMiB },
      time_to_stop_default: -1,
    });
    const service = await underLoad(() => servicePodsAtOnce(embedded.ready, names("kube", options.pods), body, poll));
    options.log(`kubernetes: ${options.pods} pods through the agent AVAILABLE in ${service.allAvailableSeconds} s (p50 ${service.availableMs.p50} ms, p99 ${service.availableMs.p99} ms)${service.failures ? `, ${service.failures} failed` : ""}; load ${service.load[0]}–${service.load[1]}`);
    const ratio = service.allAvailableSeconds / peer.allAvailableSeconds;
    return [
      {
        goal: `Kubernetes: ${thousands(options.pods)} pods through the agent into kube-apiserver + kwok, ${options.inFlight} creates in flight, until all AVAILABLE`,
        figure: `${service.allAvailableSeconds} s (per pod p50 ${Math.round(service.availableMs.p50)} ms, p99 ${Math.round(service.availableMs.p99)} ms)${service.failures ? ` (${service.failures} failed)` : ""}`,
        peer: `the same ${thousands(options.pods)} bare Pods created directly, until all Ready: ${peer.allAvailableSeconds} s (p50 ${Math.round(peer.availableMs.p50)} ms, p99 ${Math.round(peer.availableMs.p99)} ms)`,
        ratio: `${ratio.toFixed(2)}×`,
        target: "≤ 1.5×",
        met: ratio <= 1.5 && service.failures === 0 && peer.failures === 0,
        load: loadSpan([peer.load, service.load]),
      },
    ];
  } finally {
    await embedded.stop();
    await scratch.remove();
  }
}

/** Waits (up to 3 minutes) until the namespace's Pods are gone, so that they do not share the node with the next run. */
export async function gone(namespace: ScratchNamespace): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const left = await namespace.core.listNamespacedPod({ namespace: namespace.name }).then((list) => list.items.length).catch(() => 0);
    if (left === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
