import assert from "node:assert/strict";
import { createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { AgentService } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { PodStatus } from "../../gen/tapis/pods/v1/pod_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { SessionRequestSchema } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { agentRpc } from "../../control-plane/agents/agent-rpc.js";
import type { AgentPresence } from "../../control-plane/agents/agent-presence.js";
import { AgentSessions } from "../../control-plane/agents/agent-sessions.js";
import type { ClusterStateService } from "../../control-plane/agents/cluster-state-service.js";
import { agentClusterKey } from "../../control-plane/auth/caller.js";
import { UnavailableError } from "../../control-plane/errors/domain-errors.js";
import { createErrorInterceptor } from "../../control-plane/errors/error-interceptor.js";
import { createJsonLogger } from "../../shared/logging/logger.js";

describe("agent session on the control plane", () => {
  const stored: string[] = [];
  let databaseDown = false;
  const state = {
    async observe(_cluster: string, _tenant: string, podId: string) {
      if (databaseDown) throw new UnavailableError("database unavailable");
      stored.push(podId);
    },
    async appendLogs() {},
  } as unknown as ClusterStateService;
  const presence = { connected: () => () => undefined } as unknown as AgentPresence;
  const asCluster: Interceptor = (next) => (req) => {
    req.contextValues.set(agentClusterKey, "c1");
    return next(req);
  };
  const client = createClient(AgentService, createRouterTransport((router) => router.service(AgentService, agentRpc(state, new AgentSessions(), presence, { resyncIntervalSeconds: 60, stopping: new AbortController().signal })), { router: { interceptors: [createErrorInterceptor(createJsonLogger({ level: "silent" })), asCluster] } }));

  async function* messages(...items: MessageInitShape<typeof SessionRequestSchema>[]) {
    yield* items;
  }
  const observation = (sequence: bigint, podId: string, status: PodStatus) =>
    ({ sequence, payload: { case: "observation", value: { tenantId: "t", podId, uid: "u", generation: 1n, status } } }) as const;

  it("refusesABadReportAloneAndGoesOnWithTheRest", async () => {
    const answers = [];
    for await (const answer of client.session(
      messages(
        { sequence: 0n, payload: { case: "hello", value: { clusterId: "c1" } } },
        observation(1n, "broken", PodStatus.UNSPECIFIED),
        observation(2n, "fine", PodStatus.AVAILABLE),
      ),
    )) {
      answers.push(answer.payload);
    }
    assert.equal(answers[0]?.case, "welcome");
    assert.deepEqual(answers.slice(1).map((a) => a.case === "ack" && [a.value.sequence, a.value.rejected]), [
      [1n, "observation.status: must be set"],
      [2n, ""],
    ]);
    assert.deepEqual(stored, ["fine"]);
  });

  it("endsTheSessionWhenTheDatabaseIsDownSoTheAgentResends", async () => {
    databaseDown = true;
    await assert.rejects(async () => {
      for await (const _answer of client.session(messages(observation(1n, "later", PodStatus.AVAILABLE))));
    }, /database unavailable/);
    databaseDown = false;
  });

  it("refusesAHelloForAnotherCluster", async () => {
    await assert.rejects(async () => {
      for await (const _answer of client.session(messages({ sequence: 0n, payload: { case: "hello", value: { clusterId: "c2" } } })));
    }, /credentials are for cluster 'c1'/);
  });
});
