import assert from "node:assert/strict";
import { Code, ConnectError, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { AgentService } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { agentRpc } from "../../control-plane/agents/agent-rpc.js";
import type { AgentPresence } from "../../control-plane/agents/agent-presence.js";
import { AgentSessions } from "../../control-plane/agents/agent-sessions.js";
import type { ClusterStateService } from "../../control-plane/agents/cluster-state-service.js";
import type { DesiredPodSpec } from "../../control-plane/agents/desired-pod-builder.js";
import { agentClusterKey } from "../../control-plane/auth/caller.js";
import { createErrorInterceptor } from "../../control-plane/errors/error-interceptor.js";
import { podEventKey } from "../../shared/events/event-bus.js";
import { holdsKey } from "../../shared/events/key-partitions.js";
import { createJsonLogger } from "../../shared/logging/logger.js";

describe("desired-state listing for an agent's share", () => {
  const podIds = Array.from({ length: 60 }, (_, i) => `pod${i}`);
  const spec = (podId: string): DesiredPodSpec => ({
    tenantId: "dev",
    siteId: "local",
    podId,
    uid: "u",
    generation: 1,
    statusRequested: "ON",
    objectName: `pods-local-dev-${podId}`,
    image: "nginx",
    command: [],
    arguments: [],
    environment: {},
    secretEnvironment: {},
    fields: {},
    computeQueue: "default",
    timeToStopSeconds: -1,
    placement: { nodeSelector: {}, tolerations: [] },
    allowedClaims: [],
  });
  const state = {
    async *desiredOfShare(_cluster: string, holds: (key: string) => boolean) {
      for (const podId of podIds) if (holds(podEventKey("dev", podId))) yield spec(podId);
    },
  } as unknown as ClusterStateService;
  const presence = { connected: () => () => undefined } as unknown as AgentPresence;
  const asCluster: Interceptor = (next) => (req) => {
    req.contextValues.set(agentClusterKey, "c1");
    return next(req);
  };
  const client = createClient(
    AgentService,
    createRouterTransport((router) => router.service(AgentService, agentRpc(state, new AgentSessions(), presence, { resyncIntervalSeconds: 60, stopping: new AbortController().signal })), {
      router: { interceptors: [createErrorInterceptor(createJsonLogger({ level: "silent" })), asCluster] },
    }),
  );
  const listed = async (partitionCount: number, partitions: number[]) => {
    const ids: string[] = [];
    for await (const { pod } of client.streamDesiredPods({ clusterId: "c1", partitionCount, partitions })) ids.push(pod!.podId);
    return ids;
  };

  it("sendsOnlyThePodsWhoseKeysFallOnTheAgentsPartitions", async () => {
    const share = { partitionCount: 6, partitions: [1, 4] };
    const expected = podIds.filter((podId) => holdsKey(share, podEventKey("dev", podId)));
    assert.ok(expected.length > 0 && expected.length < podIds.length);
    assert.deepEqual(await listed(6, [1, 4]), expected);
  });

  it("sendsEveryPodForAPartitionCountOfZero", async () => {
    assert.deepEqual(await listed(0, []), podIds);
  });

  it("refusesAPartitionTheTopicDoesNotHave", async () => {
    await assert.rejects(listed(3, [0, 3]), (error: unknown) => {
      assert.ok(error instanceof ConnectError);
      assert.equal(error.code, Code.InvalidArgument);
      assert.equal(error.rawMessage, "partitions: each must be between 0 and partition_count - 1 (2)");
      return true;
    });
  });

  it("refusesANegativePartitionCount", async () => {
    await assert.rejects(listed(-1, []), /partition_count: must be between 0 and 100000/);
  });

  it("refusesAnotherClustersListing", async () => {
    await assert.rejects(async () => {
      for await (const _pod of client.streamDesiredPods({ clusterId: "c2" }));
    }, /this agent may only read cluster 'c1'/);
  });
});
