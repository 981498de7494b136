import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { SessionRequestSchema } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { agentClient, writeAgentTokens } from "../support/agent-client.js";
import { podId, startTestService, type TestService } from "../support/test-service.js";

type Json = Record<string, any>;

/**
 * Each start/stop cycle's container output is kept as a run: the newest
 * runs (PODS_LOG_RUNS_KEEP), each capped like the live log
 * (PODS_LOG_CAP_BYTES), listed and read or downloaded by anyone who may
 * read the pod's logs.
 */
describe("log runs", () => {
  let svc: TestService;
  let alice: string;
  const agentToken = "log-runs-test-agent-token";
  let tokensFile: string;

  before(async () => {
    tokensFile = await writeAgentTokens("runs", { [agentToken]: "local" });
    svc = await startTestService({ PODS_AGENT_TOKENS_FILE: tokensFile, PODS_LOG_RUNS_KEEP: "2", PODS_LOG_CAP_BYTES: "2048" });
    alice = await svc.token("alice");
  });
  after(async () => {
    await svc.stop();
    await rm(tokensFile, { force: true });
  });

  async function runningPod(prefix: string): Promise<string> {
    const id = podId(prefix);
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: id, template: "postgres" } })).status, 200);
    await svc.waitForStatus(alice, id, "AVAILABLE");
    return id;
  }

  async function stopAndStart(id: string): Promise<void> {
    assert.equal((await svc.api("GET", `/v3/pods/${id}/stop`, { token: alice })).status, 200);
    await svc.waitForStatus(alice, id, "STOPPED");
    assert.equal((await svc.api("GET", `/v3/pods/${id}/start`, { token: alice })).status, 200);
    await svc.waitForStatus(alice, id, "AVAILABLE");
  }

  const runs = async (id: string): Promise<Json[]> => {
    const answer = await svc.api("GET", `/v3/pods/${id}/log-runs`, { token: alice });
    assert.equal(answer.status, 200, answer.body.message);
    assert.equal(answer.body.message, "Pod log runs retrieved successfully.");
    return answer.body.result;
  };
  const run = (id: string, index: number | string) => svc.api("GET", `/v3/pods/${id}/log-runs/${index}`, { token: alice });

  /** Speaks for the pod's agent over AgentService: sends `chunks` of output, each acknowledged. */
  async function agentSends(id: string, chunks: { text: string; reset: boolean }[]): Promise<void> {
    const agent = agentClient(svc.grpcUrl, agentToken);
    const { pod } = await agent.getDesiredPod({ tenantId: "dev", podId: id });
    async function* stream(): AsyncIterable<MessageInitShape<typeof SessionRequestSchema>> {
      yield { sequence: 0n, payload: { case: "hello", value: { clusterId: "local" } } };
      for (const [n, chunk] of chunks.entries()) {
        yield { sequence: BigInt(n + 1), payload: { case: "logs", value: { tenantId: "dev", podId: id, uid: pod!.uid, ...chunk } } };
      }
    }
    for await (const answer of agent.session(stream())) {
      if (answer.payload.case === "ack" && answer.payload.value.sequence === BigInt(chunks.length)) break;
    }
  }

  it("keepsEachStartStopCycleAsARunNewestFirst", async () => {
    const id = await runningPod("cycled");
    await stopAndStart(id);
    const listed = await runs(id);
    assert.deepEqual(listed.map((r) => r.run_index), [2, 1]);
    const [second, first] = listed;
    assert.deepEqual(Object.keys(first!).sort(), ["is_active", "is_archived", "log_size_bytes", "pod_id", "run_index", "started_at", "stopped_at"]);
    assert.equal(first!.pod_id, id);
    assert.equal(second!.stopped_at, null, "the current run goes on");
    assert.ok(Date.parse(first!.stopped_at) >= Date.parse(first!.started_at));
    assert.ok(Date.parse(second!.started_at) >= Date.parse(first!.stopped_at));
    assert.ok(listed.every((r) => r.is_active === true && r.is_archived === false));

    const old = await run(id, 1);
    assert.equal(old.status, 200, old.body.message);
    assert.equal(old.body.message, "Pod log run #1 retrieved successfully.");
    assert.match(old.body.result.logs, new RegExp(`pod ${id} is simulated`));
    assert.match(old.body.result.logs, /container stopped/);
    assert.equal(old.body.result.log_size_bytes, Buffer.byteLength(old.body.result.logs));
    assert.equal(first!.log_size_bytes, old.body.result.log_size_bytes);
    const live = (await svc.api("GET", `/v3/pods/${id}/logs`, { token: alice })).body.result.logs;
    assert.equal((await run(id, 2)).body.result.logs, live, "the live log is the current run");
    assert.doesNotMatch(live, /container stopped/);
  });

  it("downloadsARunsLogAsAPlainTextFile", async () => {
    const id = await runningPod("fetched");
    const response = await fetch(`${svc.baseUrl}/v3/pods/${id}/log-runs/1/download`, { headers: { "X-Tapis-Token": alice } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(response.headers.get("content-disposition"), `attachment; filename="${id}-run-1.log"`);
    assert.equal(await response.text(), (await run(id, 1)).body.result.logs);
  });

  it("keepsOnlyTheNewestRunsAsConfiguredAndDeletesTheOthers", async () => {
    const id = await runningPod("pruned");
    await stopAndStart(id);
    await stopAndStart(id);
    assert.deepEqual((await runs(id)).map((r) => r.run_index), [3, 2]);
    const gone = await run(id, 1);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.message, `Log run #1 not found for pod '${id}'.`);
    const rows = (await svc.service.controlPlane.db.read((m) => m.query("SELECT COUNT(*) AS n FROM pod_log_chunks WHERE pod_id = ? AND run_index = 1", [id]))) as { n: number | string }[];
    assert.equal(Number(rows[0]!.n), 0, "the output of a dropped run is deleted, not only hidden");
  });

  it("capsEachRunLikeTheLiveLogKeepingItsNewestLines", async () => {
    const id = await runningPod("verbose");
    const line = (n: number) => `${String(n).padStart(4, "0")} ${"y".repeat(95)}\n`;
    const chunks = Array.from({ length: 10 }, (_, c) => ({ text: Array.from({ length: 5 }, (_, l) => line(c * 5 + l)).join(""), reset: false }));
    await agentSends(id, chunks);
    const [current] = await runs(id);
    assert.ok(current!.log_size_bytes <= 2048 && current!.log_size_bytes > 1024, `kept ${current!.log_size_bytes} bytes`);
    const logs: string = (await run(id, current!.run_index)).body.result.logs;
    assert.ok(logs.endsWith(line(49)), "the newest line is kept");
    assert.doesNotMatch(logs, /^0000 /, "the oldest lines go");
  });

  it("takesAnAgentReadingTheSameInstanceAgainAsThatRunNotANewOne", async () => {
    const id = await runningPod("reread");
    await agentSends(id, [{ text: "read again from the start\n", reset: true }]);
    const listed = await runs(id);
    assert.deepEqual(listed.map((r) => r.run_index), [1]);
    assert.equal((await run(id, 1)).body.result.logs, "read again from the start\n");
  });

  it("refusesAMalformedRunIndexNamingTheFieldAndAnswers404ForUnknownRunsAndPods", async () => {
    const id = await runningPod("asked");
    const malformed = await run(id, "latest");
    assert.equal(malformed.status, 400);
    assert.match(malformed.body.message, /^run_index: /);
    for (const index of [0, -1, 99]) {
      const missing = await run(id, index);
      assert.equal(missing.status, 404, `run ${index}`);
      assert.equal(missing.body.message, `Log run #${index} not found for pod '${id}'.`);
    }
    assert.equal((await svc.api("GET", "/v3/pods/nosuchpod/log-runs", { token: alice })).status, 404);
    assert.equal((await svc.api("GET", "/v3/pods/nosuchpod/log-runs/1/download", { token: alice })).status, 404);
  });

  it("forgetsTheRunsOfADeletedPod", async () => {
    const id = await runningPod("forgotten");
    await stopAndStart(id);
    assert.equal((await svc.api("DELETE", `/v3/pods/${id}`, { token: alice })).status, 200);
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: id, template: "postgres", status_requested: "OFF" } })).status, 200);
    assert.deepEqual(await runs(id), []);
  });
});
