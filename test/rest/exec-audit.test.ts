import assert from "node:assert/strict";
import { podId, startTestService, type TestService } from "../support/test-service.js";

type Json = Record<string, any>;

/**
 * Every command run in a pod is recorded for the pod's administrators: who,
 * when, the command, its exit code, how long it ran and how many bytes it
 * wrote — never the output itself. The action log gets upstream's summary
 * line, which names executables only.
 */
describe("exec audit", () => {
  let svc: TestService;
  let alice: string;

  before(async () => {
    svc = await startTestService({ PODS_EXEC_AUDIT_KEEP: "4" });
    alice = await svc.token("alice");
  });
  after(() => svc.stop());

  async function runningPod(prefix: string): Promise<string> {
    const id = podId(prefix);
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: id, template: "postgres" } })).status, 200);
    await svc.waitForStatus(alice, id, "AVAILABLE");
    return id;
  }

  const audit = (id: string, query = "", token = alice) => svc.api("GET", `/v3/pods/${id}/exec-audit${query}`, { token });

  it("recordsEachCommandWithWhoWhenExitCodeDurationAndOutputSizeButNotTheOutput", async () => {
    const id = await runningPod("audited");
    const before = Date.now();
    const ran = await svc.api("POST", `/v3/pods/${id}/exec`, {
      token: alice,
      headers: { "X-Request-Id": "audit-test-1" },
      body: { commands: [["ls", "-la", "/tmp"], ["echo", "secret-ish output"]] },
    });
    assert.equal(ran.status, 200, ran.body.message);
    const outputs: string[] = ran.body.result.results.map((r: Json) => r.output);

    const answer = await audit(id);
    assert.equal(answer.status, 200, answer.body.message);
    assert.equal(answer.body.message, "Pod exec audit retrieved successfully.");
    const entries: Json[] = answer.body.result;
    assert.equal(entries.length, 2);
    // Newest first.
    assert.deepEqual(entries.map((e) => e.command), [["echo", "secret-ish output"], ["ls", "-la", "/tmp"]]);
    for (const [index, entry] of entries.entries()) {
      assert.deepEqual(Object.keys(entry).sort(), ["bytes_in", "bytes_out", "command", "duration_seconds", "error", "exit_code", "kind", "request_id", "started_at", "username"]);
      assert.equal(entry.kind, "exec");
      assert.equal(entry.username, "alice");
      assert.equal(entry.exit_code, 0);
      assert.equal(entry.error, "");
      assert.equal(entry.request_id, "audit-test-1");
      assert.equal(entry.bytes_in, 0);
      assert.equal(entry.bytes_out, Buffer.byteLength(outputs[1 - index]!));
      assert.equal(typeof entry.duration_seconds, "number");
      assert.ok(entry.duration_seconds >= 0);
      const started = Date.parse(entry.started_at);
      assert.ok(started >= before - 1000 && started <= Date.now() + 1000, entry.started_at);
    }
    for (const output of outputs) assert.ok(!JSON.stringify(answer.body).includes(output.trim()), "the output itself is never kept");
  });

  it("writesUpstreamsSummaryLineNamingExecutablesOnlyIntoTheActionLog", async () => {
    const id = await runningPod("summary");
    await svc.api("POST", `/v3/pods/${id}/exec`, { token: alice, body: { commands: [["/usr/bin/env", "PASSWORD=hunter2"], ["echo", "hi"]] } });
    const lines: string[] = (await svc.api("GET", `/v3/pods/${id}/logs`, { token: alice })).body.result.action_logs;
    const line = lines.find((l) => l.includes(" exec "));
    assert.ok(line, JSON.stringify(lines));
    assert.match(line, /'alice' exec 2\/2 ok {2}\[env\(ok, [0-9.]+s\), echo\(ok, [0-9.]+s\)\] {2}[0-9.]+s total$/);
    assert.ok(!lines.some((l) => l.includes("hunter2")), "arguments never reach the action log");
  });

  it("keepsTheNewestEntriesOfAPodAsConfigured", async () => {
    const id = await runningPod("capped");
    for (let i = 1; i <= 6; i++) {
      assert.equal((await svc.api("POST", `/v3/pods/${id}/exec`, { token: alice, body: { commands: ["echo", `run ${i}`] } })).status, 200);
    }
    const entries: Json[] = (await audit(id)).body.result;
    assert.deepEqual(entries.map((e) => e.command[1]), ["run 6", "run 5", "run 4", "run 3"]);
    const rows = (await svc.service.controlPlane.db.read((m) => m.query("SELECT COUNT(*) AS n FROM pod_exec_audit WHERE pod_id = ?", [id]))) as { n: number | string }[];
    assert.equal(Number(rows[0]!.n), 4, "older entries are deleted, not only hidden");
  });

  it("filtersByKindAndLimitsAndRefusesBadValuesNamingTheField", async () => {
    const id = await runningPod("filtered");
    await svc.api("POST", `/v3/pods/${id}/exec`, { token: alice, body: { commands: [["echo", "a"], ["echo", "b"]] } });
    assert.deepEqual((await audit(id, "?limit=1")).body.result.map((e: Json) => e.command), [["echo", "b"]]);
    assert.equal((await audit(id, "?kind=exec")).body.result.length, 2);
    assert.deepEqual((await audit(id, "?kind=session")).body.result, []);
    const badLimit = await audit(id, "?limit=0");
    assert.equal(badLimit.status, 400);
    assert.equal(badLimit.body.message, "limit: must be between 1 and 1000");
    const badKind = await audit(id, "?kind=shell");
    assert.equal(badKind.status, 400);
    assert.equal(badKind.body.message, "kind: must be 'exec' or 'session'");
  });

  it("forgetsTheAuditOfADeletedPodSoAPodReusingItsIdStartsClean", async () => {
    const id = await runningPod("reused");
    await svc.api("POST", `/v3/pods/${id}/exec`, { token: alice, body: { commands: ["echo", "before"] } });
    assert.equal((await svc.api("DELETE", `/v3/pods/${id}`, { token: alice })).status, 200);
    assert.equal((await audit(id)).status, 404);
    const bob = await svc.token("bob");
    assert.equal((await svc.api("POST", "/v3/pods", { token: bob, body: { pod_id: id, template: "postgres" } })).status, 200);
    const fresh = await audit(id, "", bob);
    assert.equal(fresh.status, 200);
    assert.deepEqual(fresh.body.result, []);
  });

  it("answers404ForAPodThatDoesNotExist", async () => {
    const answer = await audit("nosuchpod");
    assert.equal(answer.status, 404);
    assert.equal(answer.body.message, "pod 'nosuchpod' not found");
  });
});
