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
import { DomainError, InvalidArgumentError, PermissionDeniedError, UnavailableError } from "../errors/domain-errors.js";
import type { PodStatusName } from "../pods/pod-model.js";
import type { ClusterStateService } from "./cluster-state-service.js";
import type { DesiredPodSpec } from "./desired-pod-builder.js";

const maxPageSize = 500;

/** AgentService: desired state out, observations in, for the caller's cluster only. */
export function agentRpc(state: ClusterStateService, options: { resyncIntervalSeconds: number }): ServiceImpl<typeof AgentService> {
  return {
    async listDesiredPods(req, ctx) {
      const clusterId = ownCluster(ctx, req.clusterId);
      const size = req.pageSize > 0 ? Math.min(req.pageSize, maxPageSize) : maxPageSize;
      const page = await state.desiredPage(clusterId, req.pageToken, size);
      return { pods: page.pods.map(desiredToProto), nextPageToken: page.next };
    },
    async getDesiredPod(req, ctx) {
      const pod = await state.desiredPod(ownCluster(ctx, req.clusterId), req.tenantId, req.podId);
      return { pod: desiredToProto(pod) };
    },
    async *session(requests, ctx) {
      const clusterId = agentClusterOf(ctx);
      for await (const request of requests) {
        if (request.payload.case === "hello") {
          yield welcome(clusterId, request.payload.value.clusterId, options.resyncIntervalSeconds);
          continue;
        }
        try {
          yield await handleReport(state, clusterId, request);
        } catch (error) {
          // A report that can never be applied is refused on its own, so it
          // cannot block the ones behind it; anything else (the database is
          // down) ends the session and the agent resends after reconnecting.
          if (!(error instanceof DomainError) || error instanceof UnavailableError) throw error;
          yield { payload: { case: "ack", value: { sequence: request.sequence, rejected: error.message } } };
        }
      }
    },
  };
}

/** Answers an agent's hello; an agent speaking for another cluster ends its session. */
function welcome(clusterId: string, claimed: string, resyncIntervalSeconds: number): MessageInitShape<typeof SessionResponseSchema> {
  if (claimed !== clusterId) throw new PermissionDeniedError(`this agent's credentials are for cluster '${clusterId}', not '${claimed}'`);
  return { payload: { case: "welcome", value: { clusterId, resyncIntervalSeconds } } };
}

/** Stores one report and acknowledges it. */
async function handleReport(state: ClusterStateService, clusterId: string, request: SessionRequest): Promise<MessageInitShape<typeof SessionResponseSchema>> {
  const payload = request.payload;
  switch (payload.case) {
    case "observation": {
      const seen = payload.value;
      await state.observe(clusterId, seen.tenantId, seen.podId, {
        uid: seen.uid,
        generation: Number(seen.generation),
        status: statusName(seen.status),
        statusContainer: (seen.statusContainer ?? {}) as Record<string, unknown>,
        event: seen.event,
        instanceStartedAt: seen.instanceStartedAt ? timestampMs(seen.instanceStartedAt) : null,
      });
      break;
    }
    case "logs":
      await state.appendLogs(clusterId, payload.value);
      break;
    default:
      throw new InvalidArgumentError("payload", "a report must carry an observation or logs");
  }
  return { payload: { case: "ack", value: { sequence: request.sequence } } };
}

function ownCluster(ctx: HandlerContext, requested: string): string {
  const clusterId = agentClusterOf(ctx);
  if (requested && requested !== clusterId) throw new PermissionDeniedError(`this agent may only read cluster '${clusterId}'`);
  return clusterId;
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
    networking: (spec.fields.networking ?? {}) as JsonObject,
    resources: (spec.fields.resources ?? {}) as JsonObject,
    volume_mounts: Object.fromEntries(Object.entries(spec.fields.volume_mounts ?? {}).filter(([, m]) => m !== null)) as JsonObject,
    compute_queue: spec.computeQueue,
    time_to_stop_seconds: spec.timeToStopSeconds,
  });
}
