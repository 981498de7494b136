import { fromJson, type JsonObject, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  AgentService,
  DesiredPodSchema,
  SessionResponseSchema,
  type DesiredPod,
  type SessionRequest,
} from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { PodStatus } from "../../gen/tapis/pods/v1/pod_pb.js";
import { agentClusterOf } from "../auth/caller-of.js";
import { DomainError, InvalidArgumentError, PermissionDeniedError } from "../errors/domain-errors.js";
import type { PodStatusName } from "../pods/pod-model.js";
import { AsyncQueue } from "../../shared/async/async-queue.js";
import { holdsKey } from "../../shared/events/key-partitions.js";
import type { AgentPresence } from "./agent-presence.js";
import type { AgentSessions, ConnectedAgent } from "./agent-sessions.js";
import type { AgentReport, ClusterStateService } from "./cluster-state-service.js";
import { ReportBatches, type ReportBatchOptions } from "./report-batches.js";
import type { DesiredPodSpec } from "./desired-pod-builder.js";

const maxPageSize = 500;

/**
 * An agent's reports are stored up to 64 per transaction; past 1,000 waiting
 * the session stops reading until they are stored (the agent keeps them).
 */
const reportBatchOptions: ReportBatchOptions = { maxBatch: 64, maxWaiting: 1_000 };

type Outgoing = MessageInitShape<typeof SessionResponseSchema>;

/** What each agent session is told and tells. */
interface SessionOptions {
  resyncIntervalSeconds: number;
  /** Told the size of each batch of reports stored. */
  storedBatch?: (reports: number) => void;
}

/**
 * AgentService: desired state out, observations in, for the caller's cluster
 * only. A session carries the agent's reports (each acknowledged) and, the
 * other way, requests such as exec that the control plane routes to it.
 */
export function agentRpc(
  state: ClusterStateService,
  sessions: AgentSessions,
  presence: AgentPresence,
  options: SessionOptions & {
    /** Aborted when this replica stops: open sessions end, so their agents move to another replica at once. */
    stopping: AbortSignal;
  },
): ServiceImpl<typeof AgentService> {
  return {
    async listDesiredPods(req, ctx) {
      const clusterId = ownCluster(ctx, req.clusterId);
      const size = req.pageSize > 0 ? Math.min(req.pageSize, maxPageSize) : maxPageSize;
      const page = await state.desiredPage(clusterId, req.pageToken, size);
      return { pods: page.pods.map(desiredToProto), nextPageToken: page.next };
    },
    async *streamDesiredPods(req, ctx) {
      const clusterId = ownCluster(ctx, req.clusterId);
      const holds = shareOf(req.partitionCount, req.partitions);
      for await (const pod of state.desiredOfShare(clusterId, holds, maxPageSize)) yield { pod: desiredToProto(pod) };
    },
    async getDesiredPod(req, ctx) {
      const pod = await state.desiredPod(ownCluster(ctx, req.clusterId), req.tenantId, req.podId);
      return { pod: desiredToProto(pod) };
    },
    async *session(requests, ctx) {
      const clusterId = agentClusterOf(ctx);
      const outgoing = new AsyncQueue<Outgoing>();
      const reading = readSession(requests, clusterId, outgoing, state, sessions, presence, options);
      const endSession = () => outgoing.end();
      options.stopping.addEventListener("abort", endSession);
      try {
        yield* outgoing;
        if (!options.stopping.aborted) await reading;
      } finally {
        options.stopping.removeEventListener("abort", endSession);
      }
    },
  };
}

/**
 * Reads one agent's session: answers the hello (and only then routes requests
 * to the agent), acknowledges each report, hands exec replies to whoever
 * waits. Ends `outgoing` when the agent hangs up, fails it on a fault.
 */
async function readSession(
  requests: AsyncIterable<SessionRequest>,
  clusterId: string,
  outgoing: AsyncQueue<Outgoing>,
  state: ClusterStateService,
  sessions: AgentSessions,
  presence: AgentPresence,
  { resyncIntervalSeconds, storedBatch }: SessionOptions,
): Promise<void> {
  let unregister: (() => void) | undefined;
  let absent: (() => void) | undefined;
  const agent: ConnectedAgent = {
    agentId: "",
    version: "",
    connectedAt: Date.now(),
    lastSeenAt: Date.now(),
    health: { healthy: true, problems: [], unhealthySince: null },
    reportsWaiting: 0,
  };
  const reports = new ReportBatches(
    {
      store: (batch) => state.storeReports(clusterId, batch),
      acknowledge: ({ sequence, rejected }) => outgoing.push({ payload: { case: "ack", value: { sequence, rejected } } }),
      fail: (error) => outgoing.fail(error),
      waiting: (count) => (agent.reportsWaiting = count),
      stored: storedBatch,
    },
    reportBatchOptions,
  );
  try {
    for await (const request of requests) {
      await reports.room();
      const payload = request.payload;
      agent.lastSeenAt = Date.now();
      if (payload.case === "hello") {
        outgoing.push(welcome(clusterId, payload.value.clusterId, resyncIntervalSeconds));
        agent.agentId = payload.value.agentId;
        agent.version = payload.value.version;
        unregister ??= sessions.register(clusterId, agent, (message) => outgoing.push(message));
        absent ??= presence.connected(clusterId);
      } else if (payload.case === "health") {
        const { healthy, problems, unhealthySince } = payload.value;
        agent.health = { healthy, problems: [...problems], unhealthySince: unhealthySince ? timestampMs(unhealthySince) : null };
      } else if (payload.case === "execReply") {
        sessions.reply(payload.value);
        reports.settled({ sequence: request.sequence });
      } else if (payload.case === "uploadProgress") {
        sessions.uploadProgress(payload.value);
        reports.settled({ sequence: request.sequence });
      } else if (payload.case === "storageReply") {
        sessions.storageReply(payload.value);
        reports.settled({ sequence: request.sequence });
      } else if (payload.case === "download") {
        // Not numbered: nothing to acknowledge; its window is freed as it is passed on.
        sessions.downloadPiece(payload.value);
      } else if (payload.case === "execSessionOutput") {
        // Not numbered either: a session ends with the stream that carried it.
        sessions.execSessionOutput(payload.value);
      } else {
        const report = reportOf(request);
        if (typeof report === "string") reports.settled({ sequence: request.sequence, rejected: report });
        else reports.report(request.sequence, report);
      }
    }
    await reports.drained();
    outgoing.end();
  } catch (error) {
    outgoing.fail(error);
  } finally {
    unregister?.();
    absent?.();
  }
}

/** Answers an agent's hello; an agent speaking for another cluster ends its session. */
function welcome(clusterId: string, claimed: string, resyncIntervalSeconds: number): Outgoing {
  if (claimed !== clusterId) throw new PermissionDeniedError(`this agent's credentials are for cluster '${clusterId}', not '${claimed}'`);
  return { payload: { case: "welcome", value: { clusterId, resyncIntervalSeconds } } };
}

/** The report a request carries, or why it can never be stored. */
function reportOf(request: SessionRequest): AgentReport | string {
  const payload = request.payload;
  try {
    switch (payload.case) {
      case "observation": {
        const seen = payload.value;
        return {
          kind: "observation",
          tenantId: seen.tenantId,
          podId: seen.podId,
          seen: {
            uid: seen.uid,
            generation: Number(seen.generation),
            status: statusName(seen.status),
            statusContainer: (seen.statusContainer ?? {}) as Record<string, unknown>,
            event: seen.event,
            instanceStartedAt: seen.instanceStartedAt ? timestampMs(seen.instanceStartedAt) : null,
          },
        };
      }
      case "logs":
        return { kind: "logs", chunk: payload.value };
      default:
        throw new InvalidArgumentError("payload", "a report must carry an observation or logs");
    }
  } catch (error) {
    if (error instanceof DomainError) return error.message;
    throw error;
  }
}

function ownCluster(ctx: HandlerContext, requested: string): string {
  const clusterId = agentClusterOf(ctx);
  if (requested && requested !== clusterId) throw new PermissionDeniedError(`this agent may only read cluster '${clusterId}'`);
  return clusterId;
}

/** Largest partition count a share may name (Kafka allows far fewer partitions per topic in practice). */
const maxPartitionCount = 100_000;

/** Which event keys a StreamDesiredPods request asks for; refuses a share that names no real partitions. */
function shareOf(partitionCount: number, partitions: number[]): (key: string) => boolean {
  if (partitionCount < 0 || partitionCount > maxPartitionCount) {
    throw new InvalidArgumentError("partition_count", `must be between 0 and ${maxPartitionCount}`);
  }
  if (partitionCount === 0) {
    if (partitions.length > 0) throw new InvalidArgumentError("partitions", "must be empty when partition_count is 0 (every pod)");
    return () => true;
  }
  if (partitions.some((partition) => partition < 0 || partition >= partitionCount)) {
    throw new InvalidArgumentError("partitions", `each must be between 0 and partition_count - 1 (${partitionCount - 1})`);
  }
  const assignment = { partitionCount, partitions: [...new Set(partitions)] };
  return (key) => holdsKey(assignment, key);
}

function statusName(status: PodStatus): PodStatusName {
  if (status === PodStatus.UNSPECIFIED) throw new InvalidArgumentError("observation.status", "must be set");
  return PodStatus[status] as PodStatusName;
}

export function desiredToProto(spec: DesiredPodSpec): DesiredPod {
  return fromJson(DesiredPodSchema, {
    tenant_id: spec.tenantId,
    site_id: spec.siteId,
    pod_id: spec.podId,
    uid: spec.uid,
    generation: String(spec.generation),
    status_requested: `STATUS_REQUESTED_${spec.statusRequested}`,
    object_name: spec.objectName,
    image: spec.image,
    command: spec.command,
    arguments: spec.arguments,
    environment: spec.environment,
    secret_environment: spec.secretEnvironment,
    secret_files: spec.secretFiles ?? {},
    start_refusal: spec.startRefusal ?? "",
    networking: (spec.fields.networking ?? {}) as JsonObject,
    resources: (spec.fields.resources ?? {}) as JsonObject,
    volume_mounts: Object.fromEntries(Object.entries(spec.fields.volume_mounts ?? {}).filter(([, m]) => m !== null)) as JsonObject,
    compute_queue: spec.computeQueue,
    time_to_stop_seconds: spec.timeToStopSeconds,
    node_selector: spec.placement.nodeSelector,
    tolerations: spec.placement.tolerations,
    allowed_claims: spec.allowedClaims,
    ...(spec.fields.healthchecks ? { healthchecks: spec.fields.healthchecks as JsonObject } : {}),
  });
}
