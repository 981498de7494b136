import assert from "node:assert/strict";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { SessionRequestSchema } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { PodStatus } from "../../gen/tapis/pods/v1/pod_pb.js";
import { eventually } from "../support/eventually.js";
import { agentClient, writeAgentTokens } from "../support/agent-client.js";
import { startTestService, type TestService } from "../support/test-service.js";

describe("an agent's reports stored in batches", () => {
  let svc: TestService;
  let jwt: string;
  const agentToken = "report-batches-test-agent-token";

  before(async () => {
    const tokens = await writeAgentTokens("batches", { [agentToken]: "local" });
    svc = await startTestService({ PODS_AGENT_TOKENS_FILE: tokens });
    jwt = await svc.token("alice");
    for (const podId of ["steady", "damaged"]) {
      await svc.api("POST", "/v3/pods", { token: jwt, body: { pod_id: podId, image: "nginx" } });
      await svc.waitForStatus(jwt, podId, "AVAILABLE");
    }
  });
  after(() => svc.stop());

  const metricValue = async (name: string, label?: string) => {
    const metric = await svc.service.metrics.getSingleMetric(name)!.get();
    return (metric.values as { metricName?: string; value: number }[]).filter((v) => !label || v.metricName === label).reduce((sum, v) => sum + v.value, 0);
  };

  it("refusesOnlyTheReportThatCannotBeStoredAndKeepsTheRestOfItsBatch", async () => {
    // A pod pinned to a template version that is gone can no longer be derived: its reports fail inside the transaction.
    await svc.service.controlPlane.db.transaction((m) => m.query("UPDATE pods SET template_version = ? WHERE pod_id = ?", ["dev/vanished:v1@2020-01-01-00:00:00", "damaged"]));
    const agent = agentClient(svc.grpcUrl, agentToken);
    const { pod: steady } = await agent.getDesiredPod({ tenantId: "dev", podId: "steady" });
    const events = Array.from({ length: 40 }, (_, i) => `checked by a second agent (${i})`);
    const observation = (sequence: number, podId: string, event: string) =>
      ({ sequence: BigInt(sequence), payload: { case: "observation", value: { tenantId: "dev", podId, uid: steady!.uid, generation: steady!.generation, status: PodStatus.AVAILABLE, event } } }) as const;
    async function* stream(): AsyncIterable<MessageInitShape<typeof SessionRequestSchema>> {
      yield { sequence: 0n, payload: { case: "hello", value: { clusterId: "local" } } };
      // The damaged pod's report lands in the middle of a run that arrives while the first report is stored.
      for (let i = 0; i < events.length; i++) yield observation(i + 1, i === 20 ? "damaged" : "steady", events[i]!);
    }
    // The steady pod's row is held while the reports arrive, so they wait and are then stored together.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const rowHeld = new Promise<void>((resolve) => (holding = resolve));
    const holder = svc.service.controlPlane.db.transaction(async (m) => {
      await m.query("UPDATE pods SET status_container = status_container WHERE pod_id = ?", ["steady"]);
      holding();
      await held;
    });
    await rowHeld;
    const batchesBefore = await metricValue("pods_agent_report_batch_size", "pods_agent_report_batch_size_count");
    const acks: { sequence: bigint; rejected: string }[] = [];
    const answers = (async () => {
      for await (const answer of agent.session(stream())) {
        if (answer.payload.case === "ack") acks.push({ sequence: answer.payload.value.sequence, rejected: answer.payload.value.rejected });
        if (acks.length === events.length) break;
      }
    })();
    await eventually("every report is read and waits", async () => (await metricValue("pods_agent_reports_waiting")) === events.length);
    release();
    await holder;
    await answers;
    assert.equal(await metricValue("pods_agent_reports_waiting"), 0);
    const batches = (await metricValue("pods_agent_report_batch_size", "pods_agent_report_batch_size_count")) - batchesBefore;
    assert.ok(batches < events.length / 2, `${events.length} reports were stored in ${batches} transactions`);

    assert.deepEqual(acks.map((ack) => ack.sequence), events.map((_, i) => BigInt(i + 1)), "every report is acknowledged, in order");
    assert.deepEqual(acks.filter((ack) => ack.rejected).map((ack) => [ack.sequence, ack.rejected]), [
      [21n, "the template version vanished:v1@2020-01-01-00:00:00 this pod is pinned to no longer exists"],
    ]);
    const actions: string[] = (await svc.api("GET", "/v3/pods/steady/logs", { token: jwt })).body.result.action_logs;
    const stored = events.filter((event, i) => i !== 20 && actions.some((line) => line.includes(event)));
    assert.equal(stored.length, events.length - 1, `the steady pod's ${events.length - 1} reports are all in its action log`);
  });
});
