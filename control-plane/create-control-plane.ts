import { randomBytes, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { DevIdentityService } from "../gen/tapis/identity/v1/dev_identity_service_pb.js";
import { AgentService } from "../gen/tapis/pods/v1/agent_service_pb.js";
import { ClustersService } from "../gen/tapis/pods/v1/clusters_service_pb.js";
import { EdgeService } from "../gen/tapis/pods/v1/edge_service_pb.js";
import { ExecSessionService } from "../gen/tapis/pods/v1/exec_session_service_pb.js";
import { ImagesService } from "../gen/tapis/pods/v1/images_service_pb.js";
import { JupyterService } from "../gen/tapis/pods/v1/jupyter_service_pb.js";
import { MiscService } from "../gen/tapis/pods/v1/misc_service_pb.js";
import { PodAuthService as PodAuthRpc } from "../gen/tapis/pods/v1/pod_auth_service_pb.js";
import { PodAccessGateService } from "../gen/tapis/pods/v1/pod_access_gate_service_pb.js";
import { PodFilesService } from "../gen/tapis/pods/v1/pod_files_service_pb.js";
import { PodHistoryService } from "../gen/tapis/pods/v1/pod_history_service_pb.js";
import { PodsService } from "../gen/tapis/pods/v1/pods_service_pb.js";
import { ReplicaService } from "../gen/tapis/pods/v1/replica_service_pb.js";
import { SecretsService } from "../gen/tapis/pods/v1/secrets_service_pb.js";
import { SnapshotsService } from "../gen/tapis/pods/v1/snapshots_service_pb.js";
import { TemplatesService } from "../gen/tapis/pods/v1/templates_service_pb.js";
import { VolumesService } from "../gen/tapis/pods/v1/volumes_service_pb.js";
import { clusterCommandsTopic, podEventsTopic, type EventBus } from "../shared/events/event-bus.js";
import type { Logger } from "../shared/logging/logger.js";
import { AccessGate } from "./access-gate/access-gate.js";
import { accessGateRpc } from "./access-gate/access-gate-rpc.js";
import { AccessTokens } from "./access-gate/access-tokens.js";
import { GateSessions } from "./access-gate/gate-sessions.js";
import { agentRpc } from "./agents/agent-rpc.js";
import { ExecAudit } from "./audit/exec-audit.js";
import { podHistoryRpc } from "./audit/pod-history-rpc.js";
import { PodLogRuns } from "./audit/pod-log-runs.js";
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
import { MountedBy } from "./files/mounted-by.js";
import { StorageMounts } from "./files/storage-mounts.js";
import { StorageUpkeep } from "./files/storage-upkeep.js";
import { StorageWork } from "./files/storage-work.js";
import { OutboxRelay } from "./events/outbox-relay.js";
import type { DevIdentityConfig } from "./identity/dev-identity-rpc.js";
import { devIdentityRpc } from "./identity/dev-identity-rpc.js";
import type { DevUsers } from "./identity/dev-users.js";
import type { TokenIssuer } from "./identity/token-issuer.js";
import { EdgeRoutesService } from "./edge/edge-routes-service.js";
import { edgeRpc } from "./edge/edge-rpc.js";
import { JupyterPods } from "./jupyter/jupyter-pods.js";
import { jupyterRpc } from "./jupyter/jupyter-rpc.js";
import { miscRpc } from "./misc/misc-rpc.js";
import { podAuthRpc } from "./pod-auth/pod-auth-rpc.js";
import { PodAuthService } from "./pod-auth/pod-auth-service.js";
import { PodSessions } from "./pod-auth/pod-sessions.js";
import { TenantLogins } from "./pod-auth/tenant-logins.js";
import { ImageAllowlist } from "./images/image-allowlist.js";
import { imagesRpc } from "./images/images-rpc.js";
import { SecretService } from "./secrets/secret-service.js";
import { PodSecrets } from "./secrets/pod-secrets.js";
import { secretsRpc } from "./secrets/secrets-rpc.js";
import { SecretRepository } from "./storage/secret-repository.js";
import { PodContainerFiles } from "./pods/pod-container-files.js";
import { PodExecService } from "./pods/pod-exec-service.js";
import { execSessionRpc } from "./exec-sessions/exec-session-rpc.js";
import { PodExecSessions } from "./exec-sessions/pod-exec-sessions.js";
import { AuditedSessions } from "./exec-sessions/session-audit.js";
import { podFilesRpc } from "./pods/pod-files-rpc.js";
import { PodUploadService } from "./pods/pod-upload-service.js";
import { PodService } from "./pods/pod-service.js";
import { podsRpc } from "./pods/pods-rpc.js";
import { rewriteStoredCredentials } from "./storage/credential-encryption.js";
import { PodCredentialsRepository } from "./storage/pod-credentials-repository.js";
import { podRepository } from "./storage/pod-repository.js";
import { TimeToStopEnforcer } from "./pods/time-to-stop-enforcer.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { PodWatchService } from "../gen/tapis/pods/v1/watch_service_pb.js";
import { PodChangeFeed } from "./watch/pod-change-feed.js";
import { watchRpc } from "./watch/watch-rpc.js";
import { ServerReflection as ServerReflectionV1 } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { Registry } from "prom-client";
import { answerHealthProbe } from "../shared/health/health-endpoints.js";
import { answerMetrics, createMetricsRegistry, isMetricsRequest } from "../shared/metrics/metrics-endpoint.js";
import { controlPlaneMetrics } from "./metrics/control-plane-metrics.js";
import { grpcHealthRpc } from "./server/grpc-health.js";
import { controlPlaneReadiness } from "./server/readiness.js";
import { serverReflectionRpcs } from "./server/server-reflection.js";
import { createCallLogInterceptor } from "./server/call-log-interceptor.js";
import { listenRpc, type RpcServer } from "./server/rpc-server.js";
import { routesBuiltOnce, type LocalServer } from "../shared/rpc/in-process-transport.js";
import { ActionLogRepository } from "./storage/action-log-repository.js";
import { ExecAuditRepository } from "./storage/exec-audit-repository.js";
import { GateAuditRepository } from "./storage/access-gate-repository.js";
import { Database } from "./storage/database.js";
import { seedBuiltinTemplates } from "./templates/builtin-templates.js";
import { templatesRpc } from "./templates/templates-rpc.js";
import { TemplateService } from "./templates/template-service.js";
import { PodTemplateSaver } from "./templates/pod-template-saver.js";
import { templateSharing } from "./templates/template-sharing.js";
import { TemplateTagService } from "./templates/template-tag-service.js";
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
  /** Where the control plane's metrics go, served at /metrics on its port (default: a registry of its own). */
  metrics?: Registry;
  /** Embedded mode: the gateway's URL, known once it listens (the edge's default API address). */
  publicUrl?: () => string;
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
  /** The services and server interceptors this replica serves, for a gateway in the same process to call without the wire. */
  local: LocalServer;
  stop(): Promise<void>;
}

/** Opens the database, wires every service and starts serving RPCs. */
export async function startControlPlane(deps: ControlPlaneDeps): Promise<ControlPlane> {
  const { config, logger } = deps;
  const now = deps.now ?? Date.now;
  const cipher = new FieldCipher(await loadEncryptionKeys(config.encryption));
  const db = await Database.open(config.database, config.databaseTimeouts, logger, cipher, config.databaseConnections);
  try {
    await rewriteStoredCredentials(db, cipher, logger);
    const credentials = new PodCredentialsRepository(cipher);
    const secretStore = new SecretRepository(cipher);
    const seeded = await seedBuiltinTemplates(db, config.siteId, now());
    if (seeded.length > 0) logger.info("built-in templates added", { templates: seeded });

    const sessions = new AgentSessions();
    const registry = deps.metrics ?? createMetricsRegistry();
    let execSessions: PodExecSessions | undefined;
    const metrics = controlPlaneMetrics(registry, { db, sessions, relayedExecSessions: () => execSessions?.open ?? 0 });
    const relay = new OutboxRelay(
      { db, bus: deps.bus, now, logger, deliveries: metrics.eventDelivery },
      { pollIntervalMs: config.outboxPollMs, batchSize: 100 },
    );
    const outboxWritten = () => relay.wake();
    const clusters = new ClusterRegistry(db, now);
    /** The domain a cluster's pod URLs are formed under: its registered one, else the site's. */
    const domainOf = async (clusterId: string) => (await clusters.domainOf(clusterId)) || config.podDomain;
    await clusters.declare({ queues: config.clusters, claims: config.clusterClaims });
    await deps.bus.prepare([...(await clusters.list()).map((c) => clusterCommandsTopic(c.clusterId)), podEventsTopic]);
    const actionLog = new ActionLogRepository(config.actionLogKeep);
    const images = new ImageAllowlist(db, now, config.allowedImages, now());
    const podSecrets = new PodSecrets(secretStore);
    const objects = new ObjectAccess(db);
    const storageMounts = new StorageMounts(db, objects, new Set(config.serviceAdmins));
    const pods = new PodService({
      images,
      podSecrets,
      db,
      actionLog,
      now,
      outboxWritten,
      placement: clusters,
      limits: config.limits,
      siteId: config.siteId,
      domain: config.podDomain,
      newUid: randomUUID,
      newPassword: () => randomBytes(18).toString("base64url"),
      credentials,
      storageMounts,
    });
    const permissions = new PermissionService(db, now, {
      pod: {
        lockIfExists: async (tx, tenantId, podId) => (await podRepository.findForUpdate(tx, tenantId, podId)) !== null,
        audit: (tx, tenantId, podId, message, at) => actionLog.add(tx, tenantId, podId, at, message),
      },
      template: templateSharing,
      secret: {
        lockIfExists: async (tx, tenantId, secretId) => (await secretStore.findForUpdate(tx, tenantId, secretId)) !== null,
      },
      volume: { lockIfExists: async (tx, tenantId, id) => (await volumeRepository.findForUpdate(tx, tenantId, id)) !== null },
      snapshot: { lockIfExists: async (tx, tenantId, id) => (await snapshotRepository.findForUpdate(tx, tenantId, id)) !== null },
    });
    const templates = new TemplateService({ db, now, siteId: config.siteId });
    const templateTags = new TemplateTagService({
      db,
      now,
      siteId: config.siteId,
      limits: config.limits,
      templates,
      checkDefinition: async (m, tenantId, definition, problems) => {
        if (definition.image) await images.check(m, tenantId, definition.image, problems);
      },
    });
    const saver = new PodTemplateSaver({ db, now, templates, tags: templateTags });
    const secrets = new SecretService({ db, now, secrets: secretStore, objects });
    const clusterState = new ClusterStateService({
      db,
      actionLog,
      credentials,
      podSecrets,
      now,
      outboxWritten,
      logLimits: { capBytes: config.logCapBytes, keepRuns: config.logRunsKeep },
      placements: (clusterId, queue) => clusters.queuePlacement(clusterId, queue),
      claimsGrantedTo: (clusterId, tenantId) => clusters.claimsGrantedTo(clusterId, tenantId),
      domainOf,
      storageMounts,
    });
    const replica = { id: randomUUID(), url: "" };
    const presence = new AgentPresence({ db, now, logger }, replica);
    const agents = new AgentRouter(sessions, presence, config.replicaToken, config.streamTimeoutMs);
    const execAudit = new ExecAudit(db, new ExecAuditRepository(config.execAuditKeep), actionLog);
    const execs = new PodExecService(db, agents, execAudit, now);
    execSessions = new PodExecSessions({ db, agents, audit: new AuditedSessions(execAudit), limits: config.execSessions, now, logger });
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

    const edgeRoutes = new EdgeRoutesService({
      db,
      clusters,
      actionLog,
      now,
      logger,
      site: () => ({
        siteId: config.siteId,
        defaultDomain: config.podDomain,
        apiUrl: config.edge.apiUrl ?? (deps.publicUrl?.() || undefined),
        serviceAddresses: config.edge.serviceAddresses,
      }),
    });

    const verifier = new TokenVerifier(deps.tenantKeys);
    const devClient = deps.devIdentity ? { [deps.devIdentity.config.tenantId]: deps.devIdentity.config.client } : {};
    const podAuth = new PodAuthService({
      db,
      verifier,
      sessions: new PodSessions(cipher, now),
      logins: new TenantLogins(deps.tenantKeys, () => ({ ...config.oauthClients, ...devClient })),
      domainOf,
      now,
    });

    const gateAudit = new GateAuditRepository(config.gate.auditKeep);
    const accessTokens = new AccessTokens({ db, audit: gateAudit, actionLog, domainOf, now });
    const accessGate = new AccessGate({
      db,
      sessions: new GateSessions(cipher),
      audit: gateAudit,
      domainOf,
      limits: { maxFailures: config.gate.maxFailures, maxFailuresPerAddress: config.gate.maxFailuresPerAddress, windowMs: config.gate.windowSeconds * 1000 },
      now,
    });

    const stopping = new AbortController();
    const readiness = controlPlaneReadiness(db, deps.bus);
    // Every service whose RPCs this replica answers, for reflection and health.
    const servedServices = [
      PodsService,
      PodAccessGateService,
      PodFilesService,
      PodHistoryService,
      TemplatesService,
      MiscService,
      AgentService,
      ReplicaService,
      ClustersService,
      ImagesService,
      VolumesService,
      SnapshotsService,
      SecretsService,
      JupyterService,
      PodAuthRpc,
      EdgeService,
      PodWatchService,
      ExecSessionService,
      ...(deps.devIdentity ? [DevIdentityService] : []),
    ];
    const feed = new PodChangeFeed(db, { pollMs: 250, historyMs: config.watchHistorySeconds * 1000 }, logger);
    // Built once: the HTTP/2 adapter and a gateway in this process (in-process calls) serve the same instances.
    const routes = routesBuiltOnce((router: ConnectRouter) => {
      router.service(PodsService, podsRpc(pods, execs, uploads, permissions, objects, saver));
      router.service(PodHistoryService, podHistoryRpc(execAudit, new PodLogRuns(db)));
      router.service(PodFilesService, podFilesRpc(new PodContainerFiles(db, agents)));
      router.service(PodAccessGateService, accessGateRpc(accessGate, accessTokens));
      router.service(TemplatesService, templatesRpc(templates, templateTags, permissions));
      router.service(MiscService, miscRpc(readiness, logger, { routes: edgeRoutes, traefik: config.edge.traefik }));
      router.service(EdgeService, edgeRpc(edgeRoutes));
      router.service(
        AgentService,
        agentRpc(clusterState, sessions, presence, {
          resyncIntervalSeconds: config.agentResyncSeconds,
          storedBatch: (reports) => metrics.reportBatch.observe(reports),
          stopping: stopping.signal,
        }),
      );
      router.service(ReplicaService, replicaRpc(sessions));
      router.service(ClustersService, clustersRpc(clusters, sessions, deps.bus));
      router.service(PodAuthRpc, podAuthRpc(podAuth));
      router.service(JupyterService, jupyterRpc(new JupyterPods({ db, pods, uploads }, config.jupyter)));
      router.service(ImagesService, imagesRpc(images));
      router.service(SecretsService, secretsRpc(secrets, permissions));
      const mountedBy = new MountedBy(db, objects);
      router.service(VolumesService, volumesRpc(volumes, objectFiles, permissions, mountedBy));
      router.service(SnapshotsService, snapshotsRpc(snapshots, objectFiles, permissions, mountedBy));
      if (deps.devIdentity) router.service(DevIdentityService, devIdentityRpc(deps.devIdentity.config, deps.devIdentity.users, deps.devIdentity.issuer));
      router.service(PodWatchService, watchRpc(pods, objects, db, feed));
      router.service(ExecSessionService, execSessionRpc(execSessions));
      router.service(Health, grpcHealthRpc(readiness, servedServices.map((s) => s.typeName)));
      const reflection = serverReflectionRpcs([...servedServices, Health]);
      router.service(ServerReflectionV1, reflection.v1);
      router.service(ServerReflectionV1alpha, reflection.v1alpha);
    });
    const interceptors: Interceptor[] = [
      createCallLogInterceptor(logger, metrics.rpc),
      createErrorInterceptor(logger),
      createAccessInterceptor({
        rules: accessRules,
        verifier,
        agents: anyAgentCredentials(new StaticAgentCredentials(config.agentTokens), clusters),
        objects,
        serviceAdmins: new Set(config.serviceAdmins),
        siteAdminTenants: new Set(config.siteAdminTenants),
        replicaToken: config.replicaToken,
      }),
    ];
    const handler = connectNodeAdapter({
      routes,
      // Orchestrators probe /livez and /readyz over HTTP/1.1 on the same port.
      fallback: (req, res) => {
        const response = res as ServerResponse;
        if (isMetricsRequest(req as IncomingMessage)) return void answerMetrics(response, registry);
        void answerHealthProbe(req as IncomingMessage, response, readiness).then((answered) => {
          if (!answered) response.writeHead(404).end();
        });
      },
      // Answers go out uncompressed (requests may still come compressed): most bytes are files moving
      // between processes on one network, where gzip costs far more CPU than it saves (it held file
      // transfers near 10 MB/s).
      compressMinBytes: 0xffffffff,
      interceptors,
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
      local: { routes, serverInterceptors: interceptors },
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
