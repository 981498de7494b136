import assert from "node:assert/strict";
import { startTestService, type TestService } from "../support/test-service.js";

/** A JSON value nested `levels` deep under `key`: {"key": {"key": ... {}}}. */
function nestedObject(levels: number, key = "a"): unknown {
  let value: unknown = {};
  for (let i = 0; i < levels; i++) value = { [key]: value };
  return value;
}

function nestedList(levels: number): unknown {
  let value: unknown = [];
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

/**
 * Bodies nested deeper than the gateway allows are refused with 400 naming
 * the field and the limit, with or without a token, and the service keeps
 * answering.
 */
describe("deeply nested request bodies", () => {
  let svc: TestService;
  let alice: string;

  before(async () => {
    svc = await startTestService();
    alice = await svc.token("alice");
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: "nestpod", template: "neo4j" } })).status, 200);
    await svc.waitForStatus(alice, "nestpod", "AVAILABLE");
  });
  after(() => svc.stop());

  for (const [who, token] of [
    ["with a token", () => alice],
    ["without a token", () => undefined],
  ] as const) {
    it(`refusesTemplateOverridesNestedPastTheLimit ${who}`, async () => {
      for (const levels of [60, 200]) {
        const body = { pod_id: "deeppod", template: "neo4j", template_overrides: { environment_variables: nestedObject(levels) } };
        const answer = await svc.api("POST", "/v3/pods", { token: token(), body });
        assert.equal(answer.status, 400, `${levels} levels: ${answer.status} ${answer.body.message}`);
        assert.match(answer.body.message, /^template_overrides\.environment_variables\.a\.a\.a.*: nested deeper than 32 levels/);
      }
    });

    it(`refusesExecCommandsNestedPastTheLimit ${who}`, async () => {
      const answer = await svc.api("POST", "/v3/pods/nestpod/exec", { token: token(), body: { commands: nestedList(200) } });
      assert.equal(answer.status, 400, answer.body.message);
      assert.match(answer.body.message, /^commands\[0\]\[0\].*: nested deeper than 32 levels/);
    });
  }

  it("refusesARawBodyNestedAMillionLevelsDeep", async () => {
    const answer = await svc.api("POST", "/v3/pods", { token: alice, body: "[".repeat(1_000_000) + "]".repeat(1_000_000) });
    assert.equal(answer.status, 400, answer.body.message);
    assert.match(answer.body.message, /^body\[0\]\[0\].*: nested deeper than 32 levels/);
  });

  it("acceptsNestingWithinTheLimit", async () => {
    const body = { commands: [["sh", "-c", "true"]] };
    const answer = await svc.api("POST", "/v3/pods/nestpod/exec", { token: alice, body });
    assert.equal(answer.status, 200, answer.body.message);
  });

  it("refusesMalformedJsonWith400", async () => {
    for (const text of ['{"pod_id": ', "\u0000\u0001", '{"pod_id": "x",}', "nul"]) {
      const answer = await svc.api("POST", "/v3/pods", { token: alice, body: text });
      assert.equal(answer.status, 400, `${JSON.stringify(text)}: ${answer.body.message}`);
      assert.match(answer.body.message, /^request body is not valid JSON/);
    }
  });

  it("keepsAnsweringAfterwards", async () => {
    const answer = await svc.api("GET", "/v3/pods/nestpod", { token: alice });
    assert.equal(answer.status, 200);
  });
});
