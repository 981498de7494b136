import type { Logger } from "../../shared/logging/logger.js";
import type { DriverConfig } from "../config.js";
import type { ClusterDriver, ObservationSink, StartPreparation } from "./cluster-driver.js";
import { SimulatedDriver } from "./simulated-driver.js";

/**
 * A started driver of the configured kind. The Kubernetes client is loaded
 * only for the Kubernetes driver: loading it costs an agent about 75 MiB of
 * memory, which a simulated cluster has no use for.
 */
export async function createDriver(
  config: DriverConfig,
  sink: ObservationSink,
  logger: Logger,
  prepareStart?: StartPreparation,
  kubernetesCall?: (verb: string, kind: string, seconds: number) => void,
): Promise<ClusterDriver> {
  if (config.kind === "simulated") return new SimulatedDriver(sink, config.startupMs, prepareStart, config.readiness);
  const { startKubernetesDriver } = await import("./kubernetes/start-kubernetes-driver.js");
  return startKubernetesDriver(config, sink, logger, prepareStart, kubernetesCall);
}
