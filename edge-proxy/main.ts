import { EnvReader } from "../shared/config/env-reader.js";
import { runMain } from "../shared/lifecycle/run-main.js";
import { stopOnSignals } from "../shared/lifecycle/shutdown.js";
import { createJsonLogger, logLevels } from "../shared/logging/logger.js";
import { readEdgeProxyConfig } from "./config.js";
import { NginxEdge } from "./nginx-edge.js";

/**
 * The nginx edge proxy of a site (or of one cluster): nginx configured from
 * the control plane's edge model, instead of Traefik reading /traefik-config.
 */
async function main(): Promise<void> {
  const env = new EnvReader(process.env);
  const config = readEdgeProxyConfig(env);
  const logLevel = env.oneOf("PODS_LOG_LEVEL", logLevels, "info");
  env.done();
  const logger = createJsonLogger({ level: logLevel, fields: { component: "edge-proxy" } });
  const edge = await NginxEdge.start({ ...config, logger });
  logger.info("edge proxy listening", { listen: config.listen, cluster: config.clusterId || "all" });
  stopOnSignals(() => edge.stop(), (message) => logger.info(message), 10_000);
  // Without nginx there is no proxy: exit, so whatever supervises this process starts it again.
  void edge.died.then(async (reason) => {
    logger.error("stopping: the proxy is down", { reason });
    await edge.stop();
    process.exit(1);
  });
}

runMain(main);
