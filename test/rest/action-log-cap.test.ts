import assert from "node:assert/strict";
import { podId, startTestService, type TestService } from "../support/test-service.js";

/** A pod's action log keeps its newest lines only, as many as configured. */
describe("action log cap", () => {
  let svc: TestService;

  before(async () => {
    svc = await startTestService({ PODS_ACTION_LOG_KEEP: "5" });
  });
  after(() => svc.stop());

  it("keepsOnlyTheNewestLinesOfAPod", async () => {
    const alice = await svc.token("alice");
    const id = podId("busy");
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: id, image: "busybox", status_requested: "OFF" } })).status, 200);
    for (let i = 1; i <= 12; i++) {
      assert.equal((await svc.api("PUT", `/v3/pods/${id}`, { token: alice, body: { description: `change ${i}` } })).status, 200);
    }
    const lines: string[] = (await svc.api("GET", `/v3/pods/${id}/logs`, { token: alice })).body.result.action_logs;
    assert.equal(lines.length, 5, JSON.stringify(lines));
    assert.match(lines.at(-1)!, /Pod updated by alice: description\./);
    const rows = (await svc.service.controlPlane.db.read((m) => m.query("SELECT COUNT(*) AS n FROM pod_action_logs"))) as { n: number | string }[];
    assert.equal(Number(rows[0]!.n), 5, "older lines are deleted, not only hidden");
  });
});
