import { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "../../../shared/logging/logger.js";
import type { KubernetesDriverConfig } from "../../config.js";
import type { ObservationSink, StartPreparation } from "../cluster-driver.js";
import { KubernetesApi } from "./kubernetes-api.js";
import { KubernetesDriver } from "./kubernetes-driver.js";

/** A started driver on the Kubernetes cluster `config` names (its kubeconfig, else the one the agent runs in). */
export async function startKubernetesDriver(
  config: KubernetesDriverConfig,
  sink: ObservationSink,
  logger: Logger,
  prepareStart?: StartPreparation,
  kubernetesCall?: (verb: string, kind: string, seconds: number) => void,
): Promise<KubernetesDriver> {
  const kubeConfig = new KubeConfig();
  if (config.kubeconfig) kubeConfig.loadFromFile(config.kubeconfig);
  else kubeConfig.loadFromCluster();
  const api = new KubernetesApi(kubeConfig, config.cluster.namespace, config.cluster.fieldManager, config.requestTimeoutSeconds * 1000, kubernetesCall);
  const driver = new KubernetesDriver(api, config.cluster, sink, logger, { stopGraceSeconds: config.stopGraceSeconds, prepareStart });
  await driver.start();
  return driver;
}
