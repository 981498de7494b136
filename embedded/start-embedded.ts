import { randomBytes, randomUUID } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { isAbsolute, relative } from "node:path";
import { startAgent, type Agent } from "../agent/create-agent.js";
import { createDriver } from "../agent/drivers/create-driver.js";
import { StaticTenantKeys, TenantsApiKeys, tokenServiceOf } from "../control-plane/auth/tenant-keys.js";
import { startControlPlane, type ControlPlane } from "../control-plane/create-control-plane.js";
import { writeDevTenantFile } from "../control-plane/identity/dev-tenant-file.js";
import { loadOrCreateSigningKey } from "../control-plane/identity/dev-signing-key.js";
import { loadOrCreateDevUsers, type DevUsers } from "../control-plane/identity/dev-users.js";
import { TokenIssuer } from "../control-plane/identity/token-issuer.js";
import { startGateway, type Gateway } from "../edge-gateway/create-gateway.js";
import { devIdentityServices, publicServices } from "../edge-gateway/public-services.js";
import { createEventBus } from "../shared/events/bus-config.js";
import { preparePrivateFolder } from "../shared/files/private-files.js";
import type { EventBus } from "../shared/events/event-bus.js";
import type { Logger } from "../shared/logging/logger.js";
import { embeddedClusterId, identityDir, type EmbeddedConfig } from "./config.js";
import type { Registry } from "prom-client";
import { createMetricsRegistry } from "../shared/metrics/metrics-endpoint.js";

export interface EmbeddedService {
  /** The URL of the REST gateway, e.g. http://127.0.0.1:8080. */
  baseUrl: string;
  /** The control plane's gRPC/Connect address, e.g. http://127.0.0.1:8090. */
  grpcUrl: string;
  devUsers: DevUsers;
  issuer: TokenIssuer;
  controlPlane: ControlPlane;
  gateway: Gateway;
  agent: Agent;
  /** The in-process event bus (pod-events topic included). */
  bus: EventBus;
  /** Every part's metrics, as /metrics serves them. */
  metrics: Registry;
  stop(): Promise<void>;
}

/**
 * Starts the whole service in one process: control plane (SQLite by default),
 * REST gateway with the dev identity provider, and one agent with the
 * simulated driver. The gateway's and the agent's unary calls reach the
 * control plane in process; the agent's session stream and streaming calls
 * go over loopback as they would between separate processes.
 */
export async function startEmbedded(config: EmbeddedConfig, logger: Logger, options: { now?: () => number } = {}): Promise<EmbeddedService> {
  const cp = config.controlPlane;
  // Keys, dev users, the database, spooled uploads and the volumes' storage: for this user's eyes only.
  await preparePrivateFolder(cp.dataDir, [config.storageDir]);
  if (isInside(cp.dataDir, config.storageDir)) await mkdir(config.storageDir, { recursive: true, mode: 0o700 });
  // The gateway would create the default spool (in the data folder) with the process's umask.
  if (isInside(cp.dataDir, config.gateway.spoolDir)) await mkdir(config.gateway.spoolDir, { recursive: true, mode: 0o700 });
  const signingKey = await loadOrCreateSigningKey(identityDir(config));
  const devUsers = await loadOrCreateDevUsers(config.devUsersFile);
  let baseUrl = config.publicUrl ?? "";
  const issuer = new TokenIssuer({
    tenantId: config.devTenantId,
    baseUrl: () => baseUrl,
    privateKey: signingKey.privateKey,
    publicKey: signingKey.publicKey,
    accessTtlSeconds: 4 * 3600,
    refreshTtlSeconds: 24 * 3600,
  });
  const agentToken = randomBytes(32).toString("base64url");
  const bus = createEventBus(config.bus, "pods-embedded", logger);
  const tenantKeys =
    cp.tenantKeys.source === "tenants-api"
      ? new TenantsApiKeys(cp.tenantKeys.url, logger)
      : new StaticTenantKeys({
          ...(cp.tenantKeys.source === "static" ? cp.tenantKeys.keys : {}),
          [config.devTenantId]: { publicKeyPem: signingKey.publicKeyPem, issuer: () => tokenServiceOf(baseUrl) },
        });

  // One process, one set of metrics: the gateway and the control plane both serve all of it.
  const metrics = createMetricsRegistry();
  const controlPlane = await startControlPlane({
    config: { ...cp, agentTokens: { ...cp.agentTokens, [agentToken]: embeddedClusterId } },
    bus,
    tenantKeys,
    metrics,
    logger: logger.child({ component: "control-plane" }),
    publicUrl: () => baseUrl,
    now: options.now,
    devIdentity: {
      config: {
        tenantId: config.devTenantId,
        siteId: cp.siteId,
        baseUrl: () => baseUrl,
        publicKeyPem: signingKey.publicKeyPem,
        // The service's own client for tapis_auth logins; it lives as long as the process.
        client: { clientId: "tapis-pods", clientKey: randomBytes(32).toString("base64url") },
      },
      users: devUsers,
      issuer,
    },
  });
  const grpcUrl = `http://${cp.grpcHost}:${controlPlane.server.port}`;
  let gateway: Gateway | undefined;
  let agent: Agent | undefined;
  try {
    gateway = await startGateway({
      ...config.gateway,
      controlPlaneUrls: [grpcUrl],
      inProcess: controlPlane.local,
      services: [...publicServices, ...devIdentityServices],
      // One process: its readiness includes the agent's.
      readiness: async () => agent?.readiness() ?? { agent: "starting" },
      metrics,
      logger: logger.child({ component: "gateway" }),
    });
    baseUrl ||= `http://${config.gateway.host === "0.0.0.0" ? "127.0.0.1" : config.gateway.host}:${gateway.port}`;
    await writeDevTenantFile(identityDir(config), { tenantId: config.devTenantId, baseUrl });
    agent = await startAgent({
      clusterId: embeddedClusterId,
      agentId: randomUUID(),
      controlPlaneUrls: [grpcUrl],
      agentToken,
      inProcess: controlPlane.local,
      bus,
      createDriver: (sink, prepareStart, kubernetesCall) => createDriver(config.driver, sink, logger.child({ component: "agent" }), prepareStart, kubernetesCall),
      metrics,
      storageDir: config.storageDir,
      resyncSeconds: cp.agentResyncSeconds,
      concurrency: config.agentConcurrency,
      deadlines: config.agentDeadlines,
      logger: logger.child({ component: "agent" }),
    });
    const started = gateway;
    const startedAgent = agent;
    return {
      baseUrl,
      grpcUrl,
      devUsers,
      issuer,
      controlPlane,
      gateway: started,
      agent: startedAgent,
      bus,
      metrics,
      async stop() {
        await started.close();
        await startedAgent.stop();
        await controlPlane.stop();
        await bus.close();
      },
    };
  } catch (error) {
    await gateway?.close();
    await controlPlane.stop();
    throw error;
  }
}

function isInside(folder: string, path: string): boolean {
  const inner = relative(folder, path);
  return !inner.startsWith("..") && !isAbsolute(inner);
}
