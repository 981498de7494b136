import assert from "node:assert/strict";
import { createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { AgentService } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { PodStatus } from "../../gen/tapis/pods/v1/pod_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { SessionRequestSchema } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { agentRpc } from "../../control-plane/agents/agent-rpc.js";
import type { AgentPresence } from "../../control-plane/agents/agent-presence.js";
import { AgentSessions } from "../../control-plane/agents/agent-sessions.js";
import type { AgentReport, ClusterStateService } from "../../control-plane/agents/cluster-state-service.js";
import { agentClusterKey } from "../../control-plane/auth/caller.js";
import { UnavailableError } from "../../control-plane/errors/domain-errors.js";
import { createErrorInterceptor } from "../../control-plane/errors/error-interceptor.js";
import { createJsonLogger } from "../../shared/logging/logger.js";

describe("agent session on the control plane", () => {
  const stored: string[] = [];
  /** The pod ids of each call that stored reports. */
  const batches: string[][] = [];
  let databaseDown = false;
  /** While set, storing waits for it: reports stay in flight. */
  let storeGate: Promise<void> | null = null;
  const state = {
    async storeReports(_cluster: string, reports: readonly AgentReport[]) {
      const podIds = reports.map((report) => (report.kind === "observation" ? report.podId : report.chunk.podId));
      batches.push(podIds);
      await storeGate;
      if (databaseDown) throw new UnavailableError("database unavailable");
      stored.push(...podIds);
      return reports.map(() => null);
    },
  } as unknown as ClusterStateService;
  const sessions = new AgentSessions();
  beforeEach(() => {
    stored.length = 0;
    batches.length = 0;
    storeGate = null;
  });
  const presence = { connected: () => () => undefined } as unknown as AgentPresence;
  const asCluster: Interceptor = (next) => (req) => {
    req.contextValues.set(agentClusterKey, "c1");
    return next(req);
  };
  const client = createClient(AgentService, createRouterTransport((router) => router.service(AgentService, agentRpc(state, sessions, presence, { resyncIntervalSeconds: 60, stopping: new AbortController().signal })), { router: { interceptors: [createErrorInterceptor(createJsonLogger({ level: "silent" })), asCluster] } }));

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

  it("storesTheReportsThatArriveDuringAStoreTogetherAndAcknowledgesThemInOrder", async () => {
    let release!: () => void;
    storeGate = new Promise((resolve) => (release = resolve));
    async function* reports() {
      yield { sequence: 0n, payload: { case: "hello", value: { clusterId: "c1" } } } as const;
      for (let i = 1; i <= 5; i++) yield observation(BigInt(i), `p${i}`, PodStatus.AVAILABLE);
      // Every report is read while the first is still being stored.
      release();
    }
    const acks = [];
    for await (const answer of client.session(reports())) if (answer.payload.case === "ack") acks.push(answer.payload.value.sequence);
    assert.deepEqual(batches, [["p1"], ["p2", "p3", "p4", "p5"]]);
    assert.deepEqual(acks, [1n, 2n, 3n, 4n, 5n]);
  });

  it("handsAnExecReplyToItsCallerWhileReportsAreStillBeingStoredButAcknowledgesItAfterThem", async () => {
    let release!: () => void;
    storeGate = new Promise((resolve) => (release = resolve));
    let requestIdOf!: (id: string) => void;
    const requestId = new Promise<string>((resolve) => (requestIdOf = resolve));
    let answered!: Promise<unknown>;
    async function* agentSide() {
      yield { sequence: 0n, payload: { case: "hello", value: { clusterId: "c1" } } } as const;
      yield observation(1n, "slow", PodStatus.AVAILABLE);
      answered = sessions.exec("c1", { tenantId: "t", podId: "slow", uid: "u", commands: [{ argv: ["true"] }], commandTimeoutSeconds: 5, totalTimeoutSeconds: 5, stopOnFailure: false, clientRequestId: "" }, 5_000);
      yield { sequence: 2n, payload: { case: "execReply", value: { requestId: await requestId, error: "" } } } as const;
      yield observation(3n, "after", PodStatus.AVAILABLE);
      const reply = await answered;
      assert.deepEqual(batches, [["slow"]], "the exec reply came back before the first report was stored");
      assert.equal((reply as { requestId: string }).requestId, await requestId);
      release();
    }
    const acks = [];
    for await (const answer of client.session(agentSide())) {
      if (answer.payload.case === "exec") requestIdOf(answer.payload.value.requestId);
      if (answer.payload.case === "ack") acks.push(answer.payload.value.sequence);
    }
    assert.deepEqual(acks, [1n, 2n, 3n]);
    assert.deepEqual(stored, ["slow", "after"]);
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
