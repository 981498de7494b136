import { EnvReader } from "../shared/config/env-reader.js";
import { runMain } from "../shared/lifecycle/run-main.js";
import { stopOnSignals } from "../shared/lifecycle/shutdown.js";
import { createJsonLogger, logLevels } from "../shared/logging/logger.js";
import { readGatewayConfig } from "./config.js";
import { startGateway } from "./create-gateway.js";
import { publicServices } from "./public-services.js";
import { startTracingFromEnv } from "../shared/tracing/otlp-tracing.js";

/** The REST gateway as its own process, in front of a control plane at PODS_CONTROL_PLANE_URL. */
async function main(): Promise<void> {
  const env = new EnvReader(process.env);
  const config = readGatewayConfig(env);
  const logLevel = env.oneOf("PODS_LOG_LEVEL", logLevels, "info");
  env.done();
  const logger = createJsonLogger({ level: logLevel, fields: { component: "gateway" } });
  const stopTracing = startTracingFromEnv("tapis-pods-gateway", process.env);
  const gateway = await startGateway({ ...config, services: publicServices, logger });
  logger.info("gateway listening", { host: config.host, port: gateway.port, controlPlanes: config.controlPlaneUrls });
  stopOnSignals(
    async () => {
      await gateway.close();
      await stopTracing();
    },
    (message) => logger.info(message),
    config.shutdownGraceMs,
  );
}

runMain(main);
