import { randomBytes, randomUUID } from "node:crypto";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { DevIdentityService } from "../gen/tapis/identity/v1/dev_identity_service_pb.js";
import { AgentService } from "../gen/tapis/pods/v1/agent_service_pb.js";
import { ClustersService } from "../gen/tapis/pods/v1/clusters_service_pb.js";
import { ImagesService } from "../gen/tapis/pods/v1/images_service_pb.js";
import { JupyterService } from "../gen/tapis/pods/v1/jupyter_service_pb.js";
import { MiscService } from "../gen/tapis/pods/v1/misc_service_pb.js";
import { PodAuthService } from "../gen/tapis/pods/v1/pod_auth_service_pb.js";
import { PodsService } from "../gen/tapis/pods/v1/pods_service_pb.js";
import { ReplicaService } from "../gen/tapis/pods/v1/replica_service_pb.js";
import { SecretsService } from "../gen/tapis/pods/v1/secrets_service_pb.js";
import { SnapshotsService } from "../gen/tapis/pods/v1/snapshots_service_pb.js";
import { TemplatesService } from "../gen/tapis/pods/v1/templates_service_pb.js";
import { VolumesService } from "../gen/tapis/pods/v1/volumes_service_pb.js";
import { clusterCommandsTopic, podEventsTopic, type EventBus } from "../shared/events/event-bus.js";
import type { Logger } from "../shared/logging/logger.js";
import { agentRpc } from "./agents/agent-rpc.js";
import { AgentPresence } from "./agents/agent-presence.js";
import { AgentRouter } from "./agents/agent-router.js";
import { AgentSessions } from "./agents/agent-sessions.js";
import { replicaRpc } from "./agents/replica-rpc.js";
import { ClusterStateService } from "./agents/cluster-state-service.js";
import { anyAgentCredentials, StaticAgentCredentials } from "./auth/agent-credentials.js";
import { ClusterRegistry } from "./clusters/cluster-registry.js";
import { clustersRpc } from "./clusters/clusters-rpc.js";
import { TokenVerifier } from "./auth/token-verifier.js";
import type { TenantKeySource } from "./auth/tenant-keys.js";
import { createAccessInterceptor } from "./authz/access-interceptor.js";
import { accessRules } from "./authz/access-rules.js";
import { ObjectAccess } from "./authz/object-access.js";
import { PermissionService } from "./authz/permission-service.js";
import type { ControlPlaneConfig } from "./config.js";
import { loadEncryptionKeys } from "./crypto/encryption-config.js";
import { FieldCipher } from "./crypto/field-cipher.js";
import { createErrorInterceptor } from "./errors/error-interceptor.js";
import { ObjectFiles } from "./files/object-files.js";
import { StorageFiles } from "./files/storage-files.js";
import { StorageMounts } from "./files/storage-mounts.js";
import { StorageUpkeep } from "./files/storage-upkeep.js";
import { StorageWork } from "./files/storage-work.js";
import { OutboxRelay } from "./events/outbox-relay.js";
import type { DevIdentityConfig } from "./identity/dev-identity-rpc.js";
import { devIdentityRpc } from "./identity/dev-identity-rpc.js";
import type { DevUsers } from "./identity/dev-users.js";
import type { TokenIssuer } from "./identity/token-issuer.js";
import { miscRpc } from "./misc/misc-rpc.js";
import { PodExecService } from "./pods/pod-exec-service.js";
import { PodUploadService } from "./pods/pod-upload-service.js";
import { PodService } from "./pods/pod-service.js";
import { podsRpc } from "./pods/pods-rpc.js";
import { rewriteStoredCredentials } from "./storage/credential-encryption.js";
import { PodCredentialsRepository } from "./storage/pod-credentials-repository.js";
import { podRepository } from "./storage/pod-repository.js";
import { TimeToStopEnforcer } from "./pods/time-to-stop-enforcer.js";
import { createCallLogInterceptor } from "./server/call-log-interceptor.js";
import { listenRpc, type RpcServer } from "./server/rpc-server.js";
import { ActionLogRepository } from "./storage/action-log-repository.js";
import { Database } from "./storage/database.js";
import { seedBuiltinTemplates } from "./templates/builtin-templates.js";
import { templatesRpc } from "./templates/templates-rpc.js";
import { snapshotRepository } from "./storage/snapshot-repository.js";
import { volumeRepository } from "./storage/volume-repository.js";
import { VolumeService } from "./volumes/volume-service.js";
import { SnapshotScheduler } from "./snapshots/snapshot-scheduler.js";
import { SnapshotService } from "./snapshots/snapshot-service.js";
import { snapshotsRpc } from "./snapshots/snapshots-rpc.js";
import { volumesRpc } from "./volumes/volumes-rpc.js";

export interface ControlPlaneDeps {
  config: ControlPlaneConfig;
  bus: EventBus;
  tenantKeys: TenantKeySource;
  logger: Logger;
  now?: () => number;
  /** Only in embedded mode: serve the dev tenant's login endpoints. */
  devIdentity?: { config: DevIdentityConfig; users: DevUsers; issuer: TokenIssuer };
}

export interface ControlPlane {
  db: Database;
  relay: OutboxRelay;
  enforcer: TimeToStopEnforcer;
  /** Snapshot schedules, pending volume and snapshot work, size recounts: `runOnce()` runs a pass now. */
  upkeep: StorageUpkeep;
  server: RpcServer;
  stop(): Promise<void>;
}

/** Opens the database, wires every service and starts serving RPCs. */
export async function startControlPlane(deps: ControlPlaneDeps): Promise<ControlPlane> {
  const { config, logger } = deps;
  const now = deps.now ?? Date.now;
  const cipher = new FieldCipher(await loadEncryptionKeys(config.encryption));
  const db = await Database.open(config.database, config.databaseTimeouts, logger, cipher);
  try {
    await rewriteStoredCredentials(db, cipher, logger);
    const credentials = new PodCredentialsRepository(cipher);
    const seeded = await seedBuiltinTemplates(db, config.siteId, now());
    if (seeded.length > 0) logger.info("built-in templates added", { templates: seeded });

    const relay = new OutboxRelay(
      { db, bus: deps.bus, now, logger },
      { relayId: randomUUID(), pollIntervalMs: config.outboxPollMs, batchSize: 100, claimMs: 30_000 },
    );
    const outboxWritten = () => relay.wake();
    const clusters = new ClusterRegistry(db, now);
    await clusters.declare({ queues: config.clusters, claims: config.clusterClaims });
    await deps.bus.prepare([...(await clusters.list()).map((c) => clusterCommandsTopic(c.clusterId)), podEventsTopic]);
    const actionLog = new ActionLogRepository(config.actionLogKeep);
    const objects = new ObjectAccess(db);
    const pods = new PodService({
      db,
      actionLog,
      now,
      outboxWritten,
      placement: clusters,
      limits: config.limits,
      siteId: config.siteId,
      logCapBytes: config.logCapBytes,
      domain: config.podDomain,
      newUid: randomUUID,
      newPassword: () => randomBytes(18).toString("base64url"),
      credentials,
      storageMounts: new StorageMounts(db, objects),
    });
    const permissions = new PermissionService(db, now, {
      pod: {
        lockIfExists: async (tx, tenantId, podId) => (await podRepository.findForUpdate(tx, tenantId, podId)) !== null,
        audit: (tx, tenantId, podId, message, at) => actionLog.add(tx, tenantId, podId, at, message),
      },
      volume: { lockIfExists: async (tx, tenantId, id) => (await volumeRepository.findForUpdate(tx, tenantId, id)) !== null },
      snapshot: { lockIfExists: async (tx, tenantId, id) => (await snapshotRepository.findForUpdate(tx, tenantId, id)) !== null },
    });
    const clusterState = new ClusterStateService({
      db,
      actionLog,
      credentials,
      now,
      outboxWritten,
      logCapBytes: config.logCapBytes,
      placements: (clusterId, queue) => clusters.queuePlacement(clusterId, queue),
      claimsGrantedTo: (clusterId, tenantId) => clusters.claimsGrantedTo(clusterId, tenantId),
    });
    const sessions = new AgentSessions();
    const replica = { id: randomUUID(), url: "" };
    const presence = new AgentPresence({ db, now, logger }, replica);
    const agents = new AgentRouter(sessions, presence, config.replicaToken, config.streamTimeoutMs);
    const execs = new PodExecService(db, agents);
    const uploads = new PodUploadService(db, agents);
    const storageFiles = new StorageFiles(agents, { operationMs: 30_000, copyMs: config.storage.copyTimeoutSeconds * 1000 });
    // A claim on an object's work outlasts the slowest copy an agent is given.
    const work = new StorageWork({ db, files: storageFiles, now, logger, holder: replica.id, claimMs: config.storage.copyTimeoutSeconds * 1000 + 60_000 });
    const objectFiles = new ObjectFiles(storageFiles);
    const volumes = new VolumeService({
      db,
      now,
      work,
      homeCluster: () => clusters.clusterFor("default"),
      maxSizeLimitMb: config.storage.maxSizeLimitMb,
    });
    const snapshots = new SnapshotService({
      db,
      now,
      work,
      files: storageFiles,
      objects,
      maxSizeLimitMb: config.storage.maxSizeLimitMb,
      inlineCopyMs: 20_000,
    });
    const scheduler = new SnapshotScheduler({ db, now, work, snapshots, logger });
    const upkeep = new StorageUpkeep(
      { db, now, logger, holder: replica.id, work, files: storageFiles, jobs: [{ name: "snapshot schedules", run: () => scheduler.runDue() }] },
      { intervalMs: config.storage.upkeepSeconds * 1000, usageMs: config.storage.usageSeconds * 1000 },
    );
    const enforcer = new TimeToStopEnforcer({ db, actionLog, now, outboxWritten, logger }, config.timeToStopSweepSeconds * 1000);

    const stopping = new AbortController();
    const routes = (router: ConnectRouter) => {
      router.service(PodsService, podsRpc(pods, execs, uploads, permissions, objects));
      router.service(TemplatesService, templatesRpc(db));
      router.service(MiscService, miscRpc(db, deps.bus, logger));
      router.service(AgentService, agentRpc(clusterState, sessions, presence, { resyncIntervalSeconds: config.agentResyncSeconds, stopping: stopping.signal }));
      router.service(ReplicaService, replicaRpc(sessions));
      router.service(ClustersService, clustersRpc(clusters, sessions, deps.bus));
      router.service(VolumesService, volumesRpc(volumes, objectFiles, permissions));
      router.service(SnapshotsService, snapshotsRpc(snapshots, objectFiles, permissions));
      for (const service of [ImagesService, SecretsService, JupyterService, PodAuthService]) {
        router.service(service, {});
      }
      if (deps.devIdentity) router.service(DevIdentityService, devIdentityRpc(deps.devIdentity.config, deps.devIdentity.users, deps.devIdentity.issuer));
    };
    const handler = connectNodeAdapter({
      routes,
      // Answers go out uncompressed (requests may still come compressed): most bytes are files moving
      // between processes on one network, where gzip costs far more CPU than it saves (it held file
      // transfers near 10 MB/s).
      compressMinBytes: 0xffffffff,
      interceptors: [
        createCallLogInterceptor(logger),
        createErrorInterceptor(logger),
        createAccessInterceptor({
          rules: accessRules,
          verifier: new TokenVerifier(deps.tenantKeys),
          agents: anyAgentCredentials(new StaticAgentCredentials(config.agentTokens), clusters),
          objects,
          serviceAdmins: new Set(config.serviceAdmins),
          siteAdminTenants: new Set(config.siteAdminTenants),
          replicaToken: config.replicaToken,
        }),
      ],
    });
    const server = await listenRpc(handler, config.grpcHost, config.grpcPort, config.shutdownGraceMs);
    replica.url = config.advertiseUrl ?? `http://${config.grpcHost}:${server.port}`;
    presence.start();
    if (config.outboxRelay) relay.start();
    enforcer.start();
    upkeep.start();
    logger.info("control plane listening", { host: config.grpcHost, port: server.port, database: config.database.kind });
    return {
      db,
      relay,
      enforcer,
      upkeep,
      server,
      async stop() {
        stopping.abort();
        enforcer.stop();
        await upkeep.stop();
        await presence.stop();
        await server.close();
        await relay.stop();
        await db.close();
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}
