import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { PodLifecycleEventSchema } from "../../gen/tapis/pods/v1/events_pb.js";
import { PodStatus, StatusRequested } from "../../gen/tapis/pods/v1/pod_pb.js";
import { podEventKey, podEventsTopic, type BusMessage } from "../../shared/events/event-bus.js";
import type { PodRecord, PodStatusName } from "../pods/pod-model.js";

/** A lifecycle fact about a pod for other services: its status, what was asked, by whom. */
export function podLifecycleMessage(
  pod: PodRecord,
  previousStatus: PodStatusName | null,
  change: { actor: string; reason: string; deleted?: boolean },
  now: number,
): BusMessage {
  const event = create(PodLifecycleEventSchema, {
    tenantId: pod.tenantId,
    siteId: pod.siteId,
    podId: pod.podId,
    status: PodStatus[pod.status],
    previousStatus: previousStatus ? PodStatus[previousStatus] : PodStatus.UNSPECIFIED,
    statusRequested: StatusRequested[pod.statusRequested],
    actor: change.actor,
    reason: change.reason,
    occurredAt: timestampFromMs(now),
    deleted: change.deleted ?? false,
  });
  return { topic: podEventsTopic, key: podEventKey(pod.tenantId, pod.podId), value: toBinary(PodLifecycleEventSchema, event) };
}
