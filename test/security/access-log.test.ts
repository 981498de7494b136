import assert from "node:assert/strict";
import { connect } from "node:net";
import { podId, startTestService, type TestService } from "../support/test-service.js";
import { eventually } from "../support/eventually.js";

type Line = Record<string, unknown>;

/**
 * One access-log line per request, a request id the client sees and every
 * component logs, and a client hanging up treated as routine.
 */
describe("access log and request ids", () => {
  let svc: TestService;
  let alice: string;
  const pod = podId("logged");

  before(async () => {
    svc = await startTestService({}, { logLevel: "debug" });
    alice = await svc.token("alice");
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: pod, template: "neo4j" } })).status, 200);
    await svc.waitForStatus(alice, pod, "AVAILABLE");
  });
  after(() => svc.stop());

  const accessLines = () => svc.logLines().filter((line) => line.msg === "request");

  it("answersWithARequestIdAndLogsOneLinePerRequest", async () => {
    const answer = await svc.api("GET", `/v3/pods/${pod}`, { token: alice });
    const requestId = answer.headers.get("x-request-id");
    assert.match(requestId ?? "", /^[A-Za-z0-9._-]{16,64}$/);
    const line = await eventually("the access log line", async () => accessLines().find((l) => l.request_id === requestId));
    assert.equal(line.level, "info");
    assert.equal(line.method, "GET");
    assert.equal(line.route, "/v3/pods/{pod_id}");
    assert.equal(line.status, 200);
    assert.equal(line.tenant, "dev");
    assert.equal(line.user, "alice");
    assert.equal(typeof line.duration_ms, "number");
    assert.equal(accessLines().filter((l) => l.request_id === requestId).length, 1);
  });

  it("keepsAWellFormedRequestIdTheClientSentAndReplacesAnotherOne", async () => {
    const kept = await svc.api("GET", "/v3/pods", { token: alice, headers: { "X-Request-Id": "client-chosen.id_1" } });
    assert.equal(kept.headers.get("x-request-id"), "client-chosen.id_1");
    const replaced = await svc.api("GET", "/v3/pods", { token: alice, headers: { "X-Request-Id": "no spaces or ${braces}" } });
    assert.notEqual(replaced.headers.get("x-request-id"), "no spaces or ${braces}");
    assert.match(replaced.headers.get("x-request-id") ?? "", /^[A-Za-z0-9._-]{16,64}$/);
  });

  it("logsRefusalsWithTheirStatusAndUnmatchedPathsWithoutARoute", async () => {
    const refused = await svc.api("GET", `/v3/pods/${pod}`, { headers: { "X-Request-Id": "refused-request-1" } });
    assert.equal(refused.status, 401);
    const missing = await svc.api("GET", "/v3/nowhere", { headers: { "X-Request-Id": "unrouted-request-1" } });
    assert.equal(missing.status, 404);
    const lines = await eventually("both lines", async () => {
      const found = accessLines().filter((l) => l.request_id === "refused-request-1" || l.request_id === "unrouted-request-1");
      return found.length === 2 ? found : undefined;
    });
    const byId = Object.fromEntries(lines.map((l) => [l.request_id, l]));
    assert.deepEqual([byId["refused-request-1"]!.status, byId["refused-request-1"]!.route, byId["refused-request-1"]!.tenant], [401, "/v3/pods/{pod_id}", null]);
    assert.deepEqual([byId["unrouted-request-1"]!.status, byId["unrouted-request-1"]!.route], [404, null]);
  });

  it("carriesTheRequestIdToTheControlPlaneAndTheAgent", async () => {
    const answer = await svc.api("POST", `/v3/pods/${pod}/exec`, { token: alice, headers: { "X-Request-Id": "exec-request-7" }, body: { commands: ["true"] } });
    assert.equal(answer.headers.get("x-request-id"), "exec-request-7");
    const components = await eventually("control-plane and agent lines", async () => {
      const seen = new Set(svc.logLines().filter((l) => l.request_id === "exec-request-7").map((l) => l.component));
      return seen.has("control-plane") && seen.has("agent") ? seen : undefined;
    });
    assert.ok(components.has("gateway"));
  });

  it("logsAClientHangingUpMidBodyAtDebugNotAsAnError", async () => {
    const before = svc.logLines().length;
    const url = new URL(svc.baseUrl);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write(`POST /v3/pods HTTP/1.1\r\nHost: x\r\nX-Tapis-Token: ${alice}\r\nX-Request-Id: hangs-up-1\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"pod_id":`);
    await new Promise((resolve) => setTimeout(resolve, 50).unref());
    socket.destroy();
    const line = await eventually("the access line of the abandoned request", async () => accessLines().find((l) => l.request_id === "hangs-up-1"));
    assert.equal(line.status, 499);
    const errors = svc.logLines().slice(before).filter((l) => l.level === "error" || l.level === "warn");
    assert.deepEqual(errors, []);
  });
});
