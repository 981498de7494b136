import { join } from "node:path";
import { EnvReader } from "../shared/config/env-reader.js";
import { readControlPlaneConfig, type ControlPlaneConfig } from "../control-plane/config.js";
import { builtinTemplateImages } from "../control-plane/templates/builtin-templates.js";
import { readGatewayConfig, type GatewayConfig } from "../edge-gateway/config.js";
import { readAgentDeadlines, readDriverConfig, readStorageDir, type AgentDeadlines, type DriverConfig } from "../agent/config.js";
import { readBusConfig, type BusConfig } from "../shared/events/bus-config.js";

/** Everything the one-process installation needs, from PODS_* variables. */
export interface EmbeddedConfig {
  controlPlane: ControlPlaneConfig;
  /** The gateway's settings; its control-plane URLs are ignored (it is this process). */
  gateway: GatewayConfig;
  /** The URL clients use; defaults to http://<host>:<port> once bound. */
  publicUrl: string | undefined;
  devTenantId: string;
  devUsersFile: string;
  driver: DriverConfig;
  bus: BusConfig;
  agentConcurrency: number;
  agentDeadlines: AgentDeadlines;
  /** The cluster's storage of volumes and snapshots: a folder, by default under the data folder. */
  storageDir: string;
}

export const embeddedClusterId = "local";

/** Reads and validates the configuration; throws ConfigError naming every bad variable. */
export function readEmbeddedConfig(env: NodeJS.ProcessEnv): EmbeddedConfig {
  const reader = new EnvReader(env);
  const controlPlane = readControlPlaneConfig(reader, {
    tenantKeys: { source: "dev-identity" },
    clusters: `${embeddedClusterId}=default`,
    serviceAdmins: "admin@dev",
    // One machine, one developer: the built-in templates' images and Docker's official images.
    allowedImages: [...builtinTemplateImages(), "docker.io/library/*"].join(","),
  });
  const config: EmbeddedConfig = {
    controlPlane,
    // Uploads spool beside the rest of the state unless told otherwise.
    gateway: { ...readGatewayConfig(reader), ...(env.PODS_UPLOAD_SPOOL_DIR ? {} : { spoolDir: join(controlPlane.dataDir, "upload-spool") }) },
    publicUrl: reader.optionalString("PODS_PUBLIC_URL"),
    devTenantId: reader.string("PODS_DEV_TENANT", "dev"),
    devUsersFile: reader.string("PODS_DEV_USERS", join(controlPlane.dataDir, "dev-users.json")),
    driver: readDriverConfig(reader, env),
    bus: readBusConfig(reader),
    agentConcurrency: reader.int("PODS_AGENT_CONCURRENCY", 16, { min: 1 }),
    agentDeadlines: readAgentDeadlines(reader),
    storageDir: readStorageDir(reader, join(controlPlane.dataDir, "storage")),
  };
  reader.done();
  return config;
}

/** Where the dev identity keeps its signing key. */
export function identityDir(config: EmbeddedConfig): string {
  return join(config.controlPlane.dataDir, "identity");
}
