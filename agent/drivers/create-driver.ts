import { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "../../shared/logging/logger.js";
import type { DriverConfig } from "../config.js";
import type { ClusterDriver, ObservationSink, StartPreparation } from "./cluster-driver.js";
import { KubernetesApi } from "./kubernetes/kubernetes-api.js";
import { KubernetesDriver } from "./kubernetes/kubernetes-driver.js";
import { SimulatedDriver } from "./simulated-driver.js";

/** A started driver of the configured kind. */
export async function createDriver(
  config: DriverConfig,
  sink: ObservationSink,
  logger: Logger,
  prepareStart?: StartPreparation,
  kubernetesCall?: (verb: string, kind: string, seconds: number) => void,
): Promise<ClusterDriver> {
  if (config.kind === "simulated") return new SimulatedDriver(sink, config.startupMs, prepareStart, config.readiness);
  const kubeConfig = new KubeConfig();
  if (config.kubeconfig) kubeConfig.loadFromFile(config.kubeconfig);
  else kubeConfig.loadFromCluster();
  const api = new KubernetesApi(kubeConfig, config.cluster.namespace, config.cluster.fieldManager, config.requestTimeoutSeconds * 1000, kubernetesCall);
  const driver = new KubernetesDriver(api, config.cluster, sink, logger, { stopGraceSeconds: config.stopGraceSeconds, prepareStart });
  await driver.start();
  return driver;
}
