import { readFileSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";
import { createScratchNamespace, type ScratchNamespace } from "../../test/support/scratch-namespace.js";

/** The Kubernetes API server of scripts/infra/kubernetes.sh, as a peer doing the same jobs as the service. */
export interface KubePeer {
  namespace: ScratchNamespace;
  /** The API server's base URL (https). */
  server: string;
  /** Its admin bearer token (token auth, as clients of a real cluster use). */
  headers: Record<string, string>;
  /** Creates a pod (nginx, small requests), as the benchmarks' pods are. */
  createPod(name: string): Promise<void>;
  podUrl(name: string): string;
  remove(): Promise<void>;
}

export async function kubePeer(kubeconfig: string): Promise<KubePeer> {
  const kc = new KubeConfig();
  kc.loadFromString(readFileSync(kubeconfig, "utf8"));
  const token = kc.getCurrentUser()?.token;
  const server = kc.getCurrentCluster()?.server;
  if (!token || !server) throw new Error(`${kubeconfig} names no server or no bearer token`);
  const namespace = await createScratchNamespace(kubeconfig, "pods-bench-peer");
  return {
    namespace,
    server,
    headers: { Authorization: `Bearer ${token}` },
    async createPod(name) {
      await namespace.core.createNamespacedPod({ namespace: namespace.name, body: barePod(name) });
    },
    podUrl: (name) => `${server}/api/v1/namespaces/${namespace.name}/pods/${name}`,
    remove: () => namespace.remove(),
  };
}

/** A Pod as the benchmarks' pods run: nginx with small requests, on the kwok node. */
export function barePod(name: string, amounts: { cpu: string; memory: string } = { cpu: "250m", memory: "256Mi" }) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { app: "pods-bench" } },
    spec: {
      containers: [{ name: "main", image: "nginx:1.27", resources: { requests: amounts, limits: amounts } }],
    },
  };
}
