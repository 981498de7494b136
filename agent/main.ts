import { randomUUID } from "node:crypto";
import { EnvReader } from "../shared/config/env-reader.js";
import { createEventBus, readBusConfig } from "../shared/events/bus-config.js";
import { runMain } from "../shared/lifecycle/run-main.js";
import { readShutdownGraceMs, stopOnSignals } from "../shared/lifecycle/shutdown.js";
import { createJsonLogger, logLevels } from "../shared/logging/logger.js";
import { readControlPlaneUrls } from "../shared/rpc/control-plane-pool.js";
import { readAgentDeadlines, readDriverConfig, readStorageDir } from "./config.js";
import { startAgent } from "./create-agent.js";
import { createDriver } from "./drivers/create-driver.js";
import { startTracingFromEnv } from "../shared/tracing/otlp-tracing.js";

/**
 * One agent of a cluster: receives the cluster's pod events from Kafka (the
 * agents of a cluster share them as one consumer group), reads desired state
 * from the control plane at PODS_CONTROL_PLANE_URL and drives the cluster.
 */
async function main(): Promise<void> {
  const env = new EnvReader(process.env);
  const clusterId = env.optionalString("PODS_CLUSTER_ID");
  if (!clusterId) env.invalid("PODS_CLUSTER_ID", "is required");
  const agentToken = env.optionalString("PODS_AGENT_TOKEN");
  if (!agentToken) env.invalid("PODS_AGENT_TOKEN", "is required: the credential of this cluster's agents");
  const controlPlaneUrls = readControlPlaneUrls(env);
  const bus = readBusConfig(env);
  if (bus.kind !== "kafka") env.invalid("PODS_KAFKA_BROKERS", "is required: the control plane's events come through Kafka");
  const driver = readDriverConfig(env, process.env);
  const resyncSeconds = env.int("PODS_AGENT_RESYNC_SECONDS", 60, { min: 0 });
  const concurrency = env.int("PODS_AGENT_CONCURRENCY", 16, { min: 1 });
  const deadlines = readAgentDeadlines(env);
  const healthPort = env.int("PODS_AGENT_HEALTH_PORT", 8092, { min: 0, max: 65_535 });
  const storageDir = readStorageDir(env, "data/storage");
  const logLevel = env.oneOf("PODS_LOG_LEVEL", logLevels, "info");
  const shutdownGraceMs = readShutdownGraceMs(env);
  env.done();
  const logger = createJsonLogger({ level: logLevel, fields: { component: "agent", clusterId } });
  const stopTracing = startTracingFromEnv("tapis-pods-agent", process.env);
  const events = createEventBus(bus, `pods-agent-${clusterId}`, logger);
  const agent = await startAgent({
    clusterId: clusterId!,
    agentId: randomUUID(),
    controlPlaneUrls,
    agentToken: agentToken!,
    bus: events,
    createDriver: (sink, prepareStart, kubernetesCall) => createDriver(driver, sink, logger, prepareStart, kubernetesCall),
    storageDir,
    resyncSeconds,
    concurrency,
    deadlines,
    healthPort,
    logger,
  });
  stopOnSignals(
    async () => {
      await agent.stop();
      await events.close();
      await stopTracing();
    },
    (message) => logger.info(message),
    shutdownGraceMs,
  );
}

runMain(main);
