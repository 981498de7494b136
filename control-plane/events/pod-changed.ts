import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { PodChangedSchema } from "../../gen/tapis/pods/v1/events_pb.js";
import { currentTraceparent } from "../../shared/tracing/tracing.js";
import { clusterCommandsTopic, podEventKey, type BusMessage } from "../../shared/events/event-bus.js";

/** "Pod X of cluster C changed, now generation G" for the cluster's agents. */
export function podChangedMessage(
  pod: { clusterId: string; tenantId: string; podId: string; uid: string; generation: number },
  deleted: boolean,
  now: number,
): BusMessage {
  const event = create(PodChangedSchema, {
    clusterId: pod.clusterId,
    tenantId: pod.tenantId,
    podId: pod.podId,
    uid: pod.uid,
    generation: BigInt(pod.generation),
    deleted,
    changedAt: timestampFromMs(now),
    traceparent: currentTraceparent(),
  });
  return { topic: clusterCommandsTopic(pod.clusterId), key: podEventKey(pod.tenantId, pod.podId), value: toBinary(PodChangedSchema, event) };
}
