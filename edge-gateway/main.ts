import { ConfigError, EnvReader } from "../shared/config/env-reader.js";
import { stopOnSignals } from "../shared/lifecycle/shutdown.js";
import { createJsonLogger } from "../shared/logging/logger.js";
import { readGatewayConfig } from "./config.js";
import { startGateway } from "./create-gateway.js";
import { publicServices } from "./public-services.js";

/** The REST gateway as its own process, in front of a control plane at PODS_CONTROL_PLANE_URL. */
async function main(): Promise<void> {
  const env = new EnvReader(process.env);
  const config = readGatewayConfig(env);
  const logLevel = env.oneOf("PODS_LOG_LEVEL", ["debug", "info", "warn", "error", "silent"], "info");
  env.done();
  const logger = createJsonLogger({ level: logLevel, fields: { component: "gateway" } });
  const gateway = await startGateway({ ...config, services: publicServices, logger });
  logger.info("gateway listening", { host: config.host, port: gateway.port, controlPlanes: config.controlPlaneUrls });
  stopOnSignals(() => gateway.close(), (message) => logger.info(message));
}

main().catch((error: unknown) => {
  process.stderr.write(error instanceof ConfigError ? `${error.message}\n` : `failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
