import { EnvReader } from "../shared/config/env-reader.js";
import { createEventBus, readBusConfig } from "../shared/events/bus-config.js";
import { preparePrivateFolder } from "../shared/files/private-files.js";
import { runMain } from "../shared/lifecycle/run-main.js";
import { stopOnSignals } from "../shared/lifecycle/shutdown.js";
import { createJsonLogger } from "../shared/logging/logger.js";
import { StaticTenantKeys, TenantsApiKeys } from "./auth/tenant-keys.js";
import { readControlPlaneConfig } from "./config.js";
import { startControlPlane } from "./create-control-plane.js";
import { startTracingFromEnv } from "../shared/tracing/otlp-tracing.js";

/**
 * A control-plane replica of the distributed installation: state in MySQL
 * (or SQLite for one replica), events on Kafka, tenants' keys from a Tapis
 * Tenants API or a file. Gateways and agents reach it on PODS_GRPC_PORT.
 */
async function main(): Promise<void> {
  // Whatever this process or its libraries create later is private to its user.
  process.umask(0o077);
  const env = new EnvReader(process.env);
  const config = readControlPlaneConfig(env, {
    tenantKeys: { source: "static", keys: {} },
    clusters: "",
    serviceAdmins: "",
    // Replicas serve many tenants: no image runs until the operators allow it.
    allowedImages: "none",
  });
  const bus = readBusConfig(env);
  if (bus.kind !== "kafka") env.invalid("PODS_KAFKA_BROKERS", "is required: agents of other processes receive events through Kafka");
  if (config.tenantKeys.source === "static" && Object.keys(config.tenantKeys.keys).length === 0) {
    env.invalid("PODS_TENANTS_URL", "or PODS_TENANT_KEYS_FILE is required to verify tokens");
  }
  env.done();
  const logger = createJsonLogger({ level: config.logLevel, fields: { component: "control-plane" } });
  const stopTracing = startTracingFromEnv("tapis-pods-control-plane", process.env);
  // On SQLite the data folder holds the database and the key that encrypts its credentials.
  if (config.database.kind === "sqlite") await preparePrivateFolder(config.dataDir);
  const tenantKeys =
    config.tenantKeys.source === "tenants-api"
      ? new TenantsApiKeys(config.tenantKeys.url, logger)
      : new StaticTenantKeys(config.tenantKeys.source === "static" ? config.tenantKeys.keys : {});
  const events = createEventBus(bus, "pods-control-plane", logger);
  const controlPlane = await startControlPlane({ config, bus: events, tenantKeys, logger });
  stopOnSignals(
    async () => {
      await controlPlane.stop();
      await events.close();
      await stopTracing();
    },
    (message) => logger.info(message),
    config.shutdownGraceMs,
  );
}

runMain(main);
