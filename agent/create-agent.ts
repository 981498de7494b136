import { fromBinary } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { timestampFromDate, timestampMs } from "@bufbuild/protobuf/wkt";
import { PodChangedSchema } from "../gen/tapis/pods/v1/events_pb.js";
import { clusterCommandsTopic, type EventBus, type Subscription } from "../shared/events/event-bus.js";
import type { Assignment } from "../shared/events/key-partitions.js";
import type { Logger } from "../shared/logging/logger.js";
import { serviceVersion } from "../shared/version.js";
import type { AgentDeadlines } from "./config.js";
import { keyString, type ClusterDriver, type ObservationSink, type StartPreparation } from "./drivers/cluster-driver.js";
import { listenAgentHttp } from "./health/agent-http-server.js";
import { AgentHealth, type AgentHealthState } from "./health/agent-health.js";
import { runExec } from "./exec/exec-runner.js";
import { UploadReceiver } from "./exec/upload-receiver.js";
import { AgentExecSessions } from "./exec/exec-sessions.js";
import { PodFiles } from "./files/pod-files.js";
import { ClusterResync, type ResyncSummary } from "./reconcile/cluster-resync.js";
import { PodReconciler } from "./reconcile/pod-reconciler.js";
import { WorkQueue } from "./reconcile/work-queue.js";
import { createControlPlaneClient } from "./session/control-plane-client.js";
import type { LocalServer } from "../shared/rpc/in-process-transport.js";
import { ControlPlaneSession } from "./session/control-plane-session.js";
import type { Registry } from "prom-client";
import { createMetricsRegistry } from "../shared/metrics/metrics-endpoint.js";
import { agentMetrics } from "./metrics/agent-metrics.js";
import { trace, type Context } from "@opentelemetry/api";
import { contextFromTraceparent, inSpan, tracerOf } from "../shared/tracing/tracing.js";
import { ClusterStorage } from "./storage/cluster-storage.js";
import { prepareMounts } from "./storage/mount-preparation.js";
import { StorageRequests } from "./storage/storage-requests.js";

export interface AgentOptions {
  clusterId: string;
  agentId: string;
  /** The control-plane replicas; the agent moves to the next one when its session breaks. */
  controlPlaneUrls: string[];
  agentToken: string;
  bus: EventBus;
  /**
   * Makes the driver. `prepareStart` readies the cluster's storage for a pod
   * about to start (its mounts' folders, config files); drivers call it
   * before they create the pod's container. `kubernetesCall` is told how long
   * each Kubernetes API request took.
   */
  createDriver(
    sink: ObservationSink,
    prepareStart: StartPreparation,
    kubernetesCall: (verb: string, kind: string, seconds: number) => void,
  ): ClusterDriver | Promise<ClusterDriver>;
  /** The folder holding the cluster's storage of volumes and snapshots (the storage claim, mounted). */
  storageDir: string;
  /** Seconds between resyncs; 0 turns resync off, even at start and after a rebalance. */
  resyncSeconds: number;
  concurrency: number;
  /** How long a read from the control plane may take before it fails and is retried. */
  deadlines: AgentDeadlines;
  /** Wrap every call to the control plane, after the agent's credential is added. */
  interceptors?: Interceptor[];
  /** The control plane's services when it runs in this process: unary calls reach them without the wire. */
  inProcess?: LocalServer;
  /** Serve /livez, /readyz and /metrics on this port (0: any free port); unset: no such server. */
  healthPort?: number;
  /** Where the agent's metrics go (default: a registry of its own). */
  metrics?: Registry;
  logger: Logger;
}

export interface Agent {
  driver: ClusterDriver;
  /** Healthy unless some part (e.g. the driver's watch of the cluster) reports a problem. */
  health(): AgentHealthState;
  /** What the agent needs to be ready, each "ok" or what is wrong: its session with the control plane, its cluster. */
  readiness(): Record<string, string>;
  /** Resyncs now, as the timer does; resolves once every pod it covered has been synced once. */
  resync(): Promise<ResyncSummary>;
  stop(): Promise<void>;
}

/**
 * Runs one agent: listens for its cluster's pod events, reconciles each pod
 * through the driver, streams observations to the control plane and resyncs
 * its share of the cluster's pods periodically, and whenever its share
 * changes, as the safety net for lost events.
 */
export async function startAgent(options: AgentOptions): Promise<Agent> {
  const { logger } = options;
  const client = createControlPlaneClient(options.controlPlaneUrls, options.agentToken, options.deadlines.rpcMs, options.interceptors, options.inProcess);
  let driver: ClusterDriver | undefined;
  const storage = new ClusterStorage(options.storageDir);
  await storage.start();
  const uploads = new UploadReceiver(
    () => driver,
    storage,
    (value) => session.send({ case: "uploadProgress", value }),
  );
  const files = new StorageRequests(
    storage,
    new PodFiles(() => driver),
    {
      reply: (value) => session.send({ case: "storageReply", value }),
      piece: (value) => session.stream({ case: "download", value }),
    },
    logger,
  );
  const execSessions = new AgentExecSessions(() => driver, (value) => session.stream({ case: "execSessionOutput", value }), logger);
  const session: ControlPlaneSession = new ControlPlaneSession(client, {
    clusterId: options.clusterId,
    agentId: options.agentId,
    version: serviceVersion,
    logger,
    onExec: (request) => {
      logger.debug("running commands in a pod", { pod: `${request.tenantId}/${request.podId}`, request_id: request.clientRequestId || undefined });
      const reply = driver ? runExec(driver, request) : Promise.resolve({ requestId: request.requestId, error: "the agent is starting" });
      void reply
        .catch((error: unknown) => ({ requestId: request.requestId, error: error instanceof Error ? error.message : String(error) }))
        .then((value) => session.send({ case: "execReply", value }));
    },
    onUpload: (piece) => {
      if (piece.destPath) logger.debug("receiving an upload", { pod: `${piece.tenantId}/${piece.podId}`, request_id: piece.clientRequestId || undefined });
      uploads.take(piece);
    },
    onStorage: (request) => files.take(request),
    onDownloadProgress: (progress) => files.progress(progress),
    onExecSession: (input) => execSessions.take(input),
    onStreamEnded: () => execSessions.streamEnded(),
  });
  const health = new AgentHealth(logger, (state) =>
    session.setHealth({ healthy: state.healthy, problems: state.problems, unhealthySince: state.unhealthySince ? timestampFromDate(state.unhealthySince) : undefined }),
  );
  const sink: ObservationSink = {
    report(report) {
      session.send({
        case: "observation",
        value: {
          tenantId: report.key.tenantId,
          podId: report.key.podId,
          uid: report.uid,
          generation: report.generation,
          status: report.status,
          statusContainer: { ...report.statusContainer, cluster_id: options.clusterId },
          event: report.event ?? "",
          instanceStartedAt: report.instanceStartedAt ? timestampFromDate(report.instanceStartedAt) : undefined,
          observedAt: timestampFromDate(new Date()),
        },
      });
    },
    logs(key, uid, text, reset) {
      session.send({ case: "logs", value: { tenantId: key.tenantId, podId: key.podId, uid, text, reset } });
    },
    requeue(key) {
      void queue.enqueue(keyString(key));
    },
    health(part, problem) {
      health.set(part, problem);
    },
  };
  let subscription: Subscription | undefined;
  const registry = options.metrics ?? createMetricsRegistry();
  // Made below, once the driver is up; the metrics may be read before.
  let syncQueue: WorkQueue | undefined;
  const metrics = agentMetrics(registry, async () => (await subscription?.lag()) ?? 0, execSessions, {
    get syncsWaiting() {
      return syncQueue?.size ?? 0;
    },
    get reportsUnacknowledged() {
      return session.unacknowledgedCount;
    },
  });
  driver = await options.createDriver(sink, (desired) => prepareMounts(storage, desired), metrics.kubernetesCall);
  const reconciler = new PodReconciler(client, driver, options.clusterId, logger);
  const started = driver;
  // The trace of the change an event announced, for the sync that acts on it.
  const tracesOfChanges = new Map<string, Context>();
  const tracer = tracerOf("agent");
  const sync = (key: string) => {
    const parent = tracesOfChanges.get(key);
    tracesOfChanges.delete(key);
    const run = () => metrics.timeSync(() => reconciler.sync(key));
    return parent ? inSpan(tracer, "sync pod", { parent, attributes: { "pods.pod": key } }, run) : run();
  };
  const queue = (syncQueue = new WorkQueue(sync, {
    concurrency: options.concurrency,
    baseBackoffMs: 250,
    maxBackoffMs: 30_000,
    onError: (key, error) => logger.warn("pod sync failed; will retry", { pod: key, error: String(error) }),
    onTerminal: (key, reason) => logger.warn("pod refused for good; tried again when it changes", { pod: key, reason }),
  }));

  let assignment: Assignment | null = null;
  const resync = new ClusterResync({
    clusterId: options.clusterId,
    client,
    reconciler,
    queue,
    driver,
    assignment: () => assignment,
    listingTimeoutMs: options.deadlines.listingMs,
    logger,
  });
  const resyncOn = options.resyncSeconds > 0;
  const runResync = () => void resync.run().catch((error: unknown) => logger.warn("resync failed", { error: String(error) }));

  session.start();
  subscription = await options.bus.subscribe(
    clusterCommandsTopic(options.clusterId),
    `pods-agents-${options.clusterId}`,
    async (message) => {
      const event = fromBinary(PodChangedSchema, message.value);
      if (event.changedAt) metrics.eventReceived((Date.now() - timestampMs(event.changedAt)) / 1000);
      const key = keyString(event);
      const traced = contextFromTraceparent(event.traceparent);
      if (trace.getSpanContext(traced)) tracesOfChanges.set(key, traced);
      reconciler.changed(key);
      await queue.enqueue(key);
    },
    {
      // A new share (first join, or a rebalance after an agent came or died) is resynced at once:
      // pods handed over from a dead agent heal now, not at the next tick.
      onAssignment: (share) => {
        assignment = share;
        logger.info("event partitions assigned", { partitionCount: share.partitionCount, partitions: share.partitions });
        if (resyncOn) runResync();
      },
    },
  );
  let resyncTimer: NodeJS.Timeout | undefined;
  if (resyncOn) {
    resyncTimer = setInterval(runResync, options.resyncSeconds * 1000);
    resyncTimer.unref();
  }
  const readiness = () => {
    const state = health.state();
    return { control_plane_session: session.state(), cluster: state.healthy ? "ok" : state.problems.join("; ") };
  };
  const httpServer = options.healthPort === undefined ? undefined : await listenAgentHttp(options.healthPort, async () => readiness(), registry);
  logger.info("agent started", { clusterId: options.clusterId, driver: driver.name, resyncSeconds: options.resyncSeconds });

  return {
    driver: started,
    health: () => health.state(),
    readiness,
    resync: () => resync.run(),
    async stop() {
      clearInterval(resyncTimer);
      await httpServer?.close();
      await subscription.close();
      queue.close();
      // Give unacknowledged reports a moment to land; the next agent resyncs anyway.
      await Promise.race([session.drained(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      await session.stop();
      await started.close();
    },
  };
}
