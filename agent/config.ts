import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { EnvReader } from "../shared/config/env-reader.js";
import type { SimulatedReadiness } from "./drivers/simulated-driver.js";
import { parseToleration, type KubernetesClusterConfig, type QueuePlacement } from "./drivers/kubernetes/cluster-config.js";

export type DriverConfig = { kind: "simulated"; startupMs: number; readiness?: SimulatedReadiness } | KubernetesDriverConfig;

export interface KubernetesDriverConfig {
  kind: "kubernetes";
  kubeconfig: string | undefined;
  cluster: KubernetesClusterConfig;
  stopGraceSeconds: number;
  /** Deadline of each Kubernetes API request (not of watches, log follows or exec streams). */
  requestTimeoutSeconds: number;
}

/** How long the agent waits for the control plane before it gives up and retries. */
export interface AgentDeadlines {
  /** Each unary call, e.g. the read of one pod's desired state. */
  rpcMs: number;
  /** One whole resync listing of desired state. */
  listingMs: number;
}

/** PODS_AGENT_RPC_TIMEOUT_SECONDS and PODS_AGENT_LISTING_TIMEOUT_SECONDS. */
export function readAgentDeadlines(env: EnvReader): AgentDeadlines {
  return {
    rpcMs: env.int("PODS_AGENT_RPC_TIMEOUT_SECONDS", 30, { min: 1, max: 3_600 }) * 1000,
    listingMs: env.int("PODS_AGENT_LISTING_TIMEOUT_SECONDS", 600, { min: 1, max: 86_400 }) * 1000,
  };
}

/**
 * PODS_STORAGE_DIR: where the agent finds the cluster's storage of volumes
 * and snapshots. In Kubernetes, where the agent's deployment mounts the
 * storage claim (PODS_K8S_STORAGE_CLAIM); elsewhere a local folder.
 */
export function readStorageDir(env: EnvReader, fallback: string): string {
  return resolve(env.string("PODS_STORAGE_DIR", fallback));
}

/**
 * Which cluster driver to use: PODS_CLUSTER_DRIVER, or kubernetes whenever a
 * kubeconfig (PODS_KUBECONFIG) or in-cluster credentials exist, else the
 * simulated cluster.
 */
export function readDriverConfig(env: EnvReader, vars: NodeJS.ProcessEnv): DriverConfig {
  const kubeconfig = env.optionalString("PODS_KUBECONFIG");
  if (kubeconfig && !existsSync(kubeconfig)) env.invalid("PODS_KUBECONFIG", `${kubeconfig} does not exist`);
  const inCluster = Boolean(vars.KUBERNETES_SERVICE_HOST);
  const kind = env.oneOf("PODS_CLUSTER_DRIVER", ["simulated", "kubernetes"], kubeconfig || inCluster ? "kubernetes" : "simulated");
  if (kind === "simulated") {
    return {
      kind,
      startupMs: env.int("PODS_SIMULATED_STARTUP_MS", 300, { min: 0 }),
      readiness: env.oneOf<SimulatedReadiness>("PODS_SIMULATED_READINESS", ["initial_delay", "never"], "initial_delay"),
    };
  }
  if (!kubeconfig && !inCluster) env.invalid("PODS_CLUSTER_DRIVER", "kubernetes needs PODS_KUBECONFIG or in-cluster credentials");
  return {
    kind,
    kubeconfig,
    stopGraceSeconds: env.int("PODS_K8S_STOP_GRACE_SECONDS", 30, { min: 0 }),
    requestTimeoutSeconds: env.int("PODS_K8S_REQUEST_TIMEOUT_SECONDS", 30, { min: 1, max: 3600 }),
    cluster: {
      namespace: env.string("PODS_K8S_NAMESPACE", "pods"),
      queues: readQueues(env),
      storageClaim: env.string("PODS_K8S_STORAGE_CLAIM", "pods-storage"),
      fieldManager: "tapis-pods-agent",
      imagePullPolicy: env.oneOf("PODS_K8S_IMAGE_PULL_POLICY", ["Always", "IfNotPresent", "Never"], "IfNotPresent"),
    },
  };
}

/** PODS_K8S_QUEUES_FILE: {"gpu": {"node_selector": {...}, "tolerations": ["key=value:NoSchedule"]}}. */
function readQueues(env: EnvReader): Record<string, QueuePlacement> {
  const file = env.optionalString("PODS_K8S_QUEUES_FILE");
  if (!file) return {};
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as Record<string, { node_selector?: Record<string, string>; tolerations?: string[] }>;
    return Object.fromEntries(
      Object.entries(parsed).map(([queue, placement]) => [
        queue,
        { nodeSelector: placement.node_selector ?? {}, tolerations: (placement.tolerations ?? []).map(parseToleration) },
      ]),
    );
  } catch (error) {
    env.invalid("PODS_K8S_QUEUES_FILE", `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
    return {};
  }
}
