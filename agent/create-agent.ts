import { fromBinary } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { PodChangedSchema } from "../gen/tapis/pods/v1/events_pb.js";
import { clusterCommandsTopic, type EventBus, type Subscription } from "../shared/events/event-bus.js";
import type { Assignment } from "../shared/events/key-partitions.js";
import type { Logger } from "../shared/logging/logger.js";
import { serviceVersion } from "../shared/version.js";
import type { AgentDeadlines } from "./config.js";
import { keyString, type ClusterDriver, type ObservationSink, type StartPreparation } from "./drivers/cluster-driver.js";
import { AgentHealth, type AgentHealthState } from "./health/agent-health.js";
import { runExec } from "./exec/exec-runner.js";
import { UploadReceiver } from "./exec/upload-receiver.js";
import { ClusterResync, type ResyncSummary } from "./reconcile/cluster-resync.js";
import { PodReconciler } from "./reconcile/pod-reconciler.js";
import { WorkQueue } from "./reconcile/work-queue.js";
import { createControlPlaneClient } from "./session/control-plane-client.js";
import { ControlPlaneSession } from "./session/control-plane-session.js";
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
   * `prepareStart` readies the cluster's storage for a pod about to start
   * (its mounts' folders, config files); drivers call it before they create
   * the pod's container.
   */
  createDriver(sink: ObservationSink, prepareStart: StartPreparation): ClusterDriver | Promise<ClusterDriver>;
  /** The folder holding the cluster's storage of volumes and snapshots (the storage claim, mounted). */
  storageDir: string;
  /** Seconds between resyncs; 0 turns resync off, even at start and after a rebalance. */
  resyncSeconds: number;
  concurrency: number;
  /** How long a read from the control plane may take before it fails and is retried. */
  deadlines: AgentDeadlines;
  /** Wrap every call to the control plane, after the agent's credential is added. */
  interceptors?: Interceptor[];
  logger: Logger;
}

export interface Agent {
  driver: ClusterDriver;
  /** Healthy unless some part (e.g. the driver's watch of the cluster) reports a problem. */
  health(): AgentHealthState;
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
  const client = createControlPlaneClient(options.controlPlaneUrls, options.agentToken, options.deadlines.rpcMs, options.interceptors);
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
    {
      reply: (value) => session.send({ case: "storageReply", value }),
      piece: (value) => session.stream({ case: "download", value }),
    },
    logger,
  );
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
  driver = await options.createDriver(sink, (desired) => prepareMounts(storage, desired));
  const reconciler = new PodReconciler(client, driver, options.clusterId, logger);
  const started = driver;
  const queue = new WorkQueue((key) => reconciler.sync(key), {
    concurrency: options.concurrency,
    baseBackoffMs: 250,
    maxBackoffMs: 30_000,
    onError: (key, error) => logger.warn("pod sync failed; will retry", { pod: key, error: String(error) }),
    onTerminal: (key, reason) => logger.warn("pod refused for good; tried again when it changes", { pod: key, reason }),
  });

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
  const subscription: Subscription = await options.bus.subscribe(
    clusterCommandsTopic(options.clusterId),
    `pods-agents-${options.clusterId}`,
    async (message) => {
      const key = keyString(fromBinary(PodChangedSchema, message.value));
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
  logger.info("agent started", { clusterId: options.clusterId, driver: driver.name, resyncSeconds: options.resyncSeconds });

  return {
    driver: started,
    health: () => health.state(),
    resync: () => resync.run(),
    async stop() {
      clearInterval(resyncTimer);
      await subscription.close();
      queue.close();
      // Give unacknowledged reports a moment to land; the next agent resyncs anyway.
      await Promise.race([session.drained(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      await session.stop();
      await started.close();
    },
  };
}
