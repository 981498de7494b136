import { fromBinary } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { PodChangedSchema } from "../gen/tapis/pods/v1/events_pb.js";
import { clusterCommandsTopic, type EventBus, type Subscription } from "../shared/events/event-bus.js";
import type { Logger } from "../shared/logging/logger.js";
import { serviceVersion } from "../shared/version.js";
import type { AgentDeadlines } from "./config.js";
import { keyString, type ClusterDriver, type ObservationSink } from "./drivers/cluster-driver.js";
import { runExec } from "./exec/exec-runner.js";
import { UploadReceiver } from "./exec/upload-receiver.js";
import { desiredKeys, PodReconciler } from "./reconcile/pod-reconciler.js";
import { WorkQueue } from "./reconcile/work-queue.js";
import { createControlPlaneClient } from "./session/control-plane-client.js";
import { ControlPlaneSession } from "./session/control-plane-session.js";

export interface AgentOptions {
  clusterId: string;
  agentId: string;
  /** The control-plane replicas; the agent moves to the next one when its session breaks. */
  controlPlaneUrls: string[];
  agentToken: string;
  bus: EventBus;
  createDriver(sink: ObservationSink): ClusterDriver | Promise<ClusterDriver>;
  /** Seconds between full resyncs; 0 turns resync off, even at start. */
  resyncSeconds: number;
  concurrency: number;
  /** How long a read from the control plane may take before it fails and is retried. */
  deadlines: AgentDeadlines;
  /** Wrap every call to the control plane, after the agent's credential is added. */
  interceptors?: Interceptor[];
  logger: Logger;
}

/** What one resync saw. */
export interface ResyncSummary {
  /** Pods the control plane listed for this agent. */
  listed: number;
  /** Pods the cluster holds objects for. */
  present: number;
}

export interface Agent {
  driver: ClusterDriver;
  /** Resyncs now, as the timer does; resolves once every pod it covered has been synced once. */
  resync(): Promise<ResyncSummary>;
  stop(): Promise<void>;
}

/**
 * Runs one agent: listens for its cluster's pod events, reconciles each pod
 * through the driver, streams observations to the control plane and resyncs
 * everything periodically as the safety net for lost events.
 */
export async function startAgent(options: AgentOptions): Promise<Agent> {
  const { logger } = options;
  const client = createControlPlaneClient(options.controlPlaneUrls, options.agentToken, options.deadlines.rpcMs, options.interceptors);
  let driver: ClusterDriver | undefined;
  const uploads = new UploadReceiver(
    () => driver,
    (value) => session.send({ case: "uploadProgress", value }),
  );
  const session: ControlPlaneSession = new ControlPlaneSession(client, {
    clusterId: options.clusterId,
    agentId: options.agentId,
    version: serviceVersion,
    logger,
    onExec: (request) => {
      const reply = driver ? runExec(driver, request) : Promise.resolve({ requestId: request.requestId, error: "the agent is starting" });
      void reply
        .catch((error: unknown) => ({ requestId: request.requestId, error: error instanceof Error ? error.message : String(error) }))
        .then((value) => session.send({ case: "execReply", value }));
    },
    onUpload: (piece) => uploads.take(piece),
  });
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
  };
  driver = await options.createDriver(sink);
  const reconciler = new PodReconciler(client, driver, options.clusterId);
  const started = driver;
  const queue = new WorkQueue((key) => reconciler.sync(key), {
    concurrency: options.concurrency,
    baseBackoffMs: 250,
    maxBackoffMs: 30_000,
    onError: (key, error) => logger.warn("pod sync failed; will retry", { pod: key, error: String(error) }),
  });

  const resync = async (): Promise<ResyncSummary> => {
    const wanted = await desiredKeys(client, options.clusterId);
    const present = (await started.list()).map(keyString);
    await Promise.all([...new Set([...wanted, ...present])].map((key) => queue.enqueue(key)));
    const summary = { listed: wanted.length, present: present.length };
    logger.info("resync done", summary);
    return summary;
  };

  session.start();
  const subscription: Subscription = await options.bus.subscribe(
    clusterCommandsTopic(options.clusterId),
    `pods-agents-${options.clusterId}`,
    async (message) => {
      const event = fromBinary(PodChangedSchema, message.value);
      await queue.enqueue(keyString(event));
    },
  );
  let resyncTimer: NodeJS.Timeout | undefined;
  if (options.resyncSeconds > 0) {
    const runResync = () => resync().catch((error: unknown) => logger.warn("resync failed", { error: String(error) }));
    void runResync();
    resyncTimer = setInterval(runResync, options.resyncSeconds * 1000);
    resyncTimer.unref();
  }
  logger.info("agent started", { clusterId: options.clusterId, driver: driver.name, resyncSeconds: options.resyncSeconds });

  return {
    driver: started,
    resync,
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
