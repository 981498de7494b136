import { runMain } from "../shared/lifecycle/run-main.js";
import { stopOnSignals } from "../shared/lifecycle/shutdown.js";
import { createJsonLogger } from "../shared/logging/logger.js";
import { readEmbeddedConfig } from "./config.js";
import { startEmbedded } from "./start-embedded.js";
import { startTracingFromEnv } from "../shared/tracing/otlp-tracing.js";

async function main(): Promise<void> {
  // Whatever this process or its libraries create later is private to its user.
  process.umask(0o077);
  const config = readEmbeddedConfig(process.env);
  const logger = createJsonLogger({ level: config.controlPlane.logLevel });
  const stopTracing = startTracingFromEnv("tapis-pods", process.env);
  const service = await startEmbedded(config, logger);
  const users = service.devUsers.created ? `created ${service.devUsers.file} with random passwords` : `from ${service.devUsers.file}`;
  process.stdout.write(
    [
      `Pods service running (embedded: ${config.controlPlane.database.kind}, ${config.driver.kind === "simulated" ? "simulated cluster" : `Kubernetes namespace ${config.driver.cluster.namespace}`})`,
      `  REST API     ${service.baseUrl}/v3/pods   (health: ${service.baseUrl}/v3/pods/healthcheck)`,
      `  gRPC         ${service.grpcUrl}`,
      `  dev users    ${service.devUsers.usernames.join(", ")} (${users})`,
      `  data         ${config.controlPlane.dataDir}`,
      `  token        npm run --silent token -- <username>`,
      "",
    ].join("\n"),
  );
  stopOnSignals(
    async () => {
      await service.stop();
      await stopTracing();
    },
    (message) => logger.info(message),
    config.gateway.shutdownGraceMs,
  );
}

runMain(main);
