import assert from "node:assert/strict";
import { startTestService, type ApiAnswer, type TestService } from "../support/test-service.js";

function assertRefused(answer: ApiAnswer, status: number, pattern: RegExp): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.body.status, "error");
  assert.equal(answer.body.result, null);
  assert.match(answer.body.message, pattern);
}

describe("bad input is refused with an error naming the field, and nothing is stored", () => {
  let svc: TestService;
  let jwt: string;

  before(async () => {
    svc = await startTestService();
    jwt = await svc.token("alice");
  });
  after(() => svc.stop());

  const create = (body: unknown) => svc.api("POST", "/v3/pods", { token: jwt, body });
  const podIds = async () => (await svc.api("GET", "/v3/pods", { token: jwt })).body.result.map((p: { pod_id: string }) => p.pod_id);

  it("refusesADuplicatePodIdWith409AndKeepsTheOriginal", async () => {
    assert.equal((await create({ pod_id: "dup", template: "neo4j", description: "first" })).status, 200);
    assertRefused(await create({ pod_id: "dup", template: "postgres", description: "second" }), 409, /pod 'dup' already exists/);
    const kept = await svc.api("GET", "/v3/pods/dup", { token: jwt });
    assert.equal(kept.body.result.description, "first");
    assert.equal(kept.body.result.template, "neo4j");
  });

  for (const [id, why] of [
    ["Bad_Id", "uppercase"],
    ["9pods", "leading digit"],
    ["ab", "too short"],
    ["has-dash", "dash"],
    ["a".repeat(65), "too long"],
  ] as const) {
    it(`refusesPodId ${JSON.stringify(id.length > 20 ? id.slice(0, 8) + "…" : id)} (${why})`, async () => {
      assertRefused(await create({ pod_id: id, template: "neo4j" }), 400, /^pod_id: must be 3-64 lowercase letters and digits/);
    });
  }

  it("refusesAReservedPodId", async () => {
    assertRefused(await create({ pod_id: "templates", template: "neo4j" }), 400, /pod_id: 'templates' is reserved/);
  });

  it("refusesUnknownFieldsNamingThem", async () => {
    assertRefused(await create({ pod_id: "unknownfield", template: "neo4j", colour: "blue" }), 400, /^colour: unknown field$/);
    assertRefused(
      await create({ pod_id: "unknownnested", template: "neo4j", networking: { default: { port: 80, colour: "blue" } } }),
      400,
      /networking\.default\.colour: unknown field/,
    );
  });

  it("refusesWrongTypesNamingTheFieldAndType", async () => {
    assertRefused(await create({ pod_id: "wrongtype", template: "neo4j", time_to_stop_default: "soon" }), 400, /time_to_stop_default: expected an integer/);
    assertRefused(await create({ pod_id: "wrongtype", template: "neo4j", command: "sleep 5" }), 400, /command: expected a list/);
    assertRefused(await create({ pod_id: "wrongtype", template: "neo4j", environment_variables: { PORT: 80 } }), 400, /environment_variables\.PORT: expected a string/);
    assertRefused(await create({ pod_id: 42 }), 400, /pod_id: expected a string/);
    assertRefused(await create({ pod_id: "wrongtype", status_requested: "MAYBE" }), 400, /status_requested: must be one of ON, OFF, RESTART/);
  });

  it("reportsEveryProblemAtOnce", async () => {
    const answer = await create({ pod_id: "many", template: "neo4j", colour: "blue", time_to_stop_default: "soon" });
    assertRefused(answer, 400, /colour: unknown field; time_to_stop_default: expected an integer/);
  });

  it("refusesBrokenJson", async () => {
    assertRefused(await svc.api("POST", "/v3/pods", { token: jwt, body: '{"pod_id": "x",' }), 400, /request body is not valid JSON/);
  });

  it("refusesDomainRuleViolations", async () => {
    assertRefused(await create({ pod_id: "notemplate" }), 400, /^image: an image or a template that names one is required/);
    assertRefused(await create({ pod_id: "nosuch", template: "nosuchtemplate" }), 400, /^template: no template 'nosuchtemplate'/);
    assertRefused(await create({ pod_id: "shortttl", template: "neo4j", time_to_stop_default: 10 }), 400, /time_to_stop_default: must be -1 \(never stop\) or at least 300 seconds/);
    assertRefused(
      await create({ pod_id: "badres", template: "neo4j", resources: { cpu_request: 4000, cpu_limit: 1000 } }),
      400,
      /resources\.cpu_request: must not exceed cpu_limit/,
    );
    assertRefused(await create({ pod_id: "badnet", template: "neo4j", networking: { default: { protocol: "ftp" } } }), 400, /networking\.default\.protocol: must be one of/);
    assertRefused(await create({ pod_id: "badqueue", template: "neo4j", compute_queue: "gpu" }), 400, /compute_queue: no cluster serves queue 'gpu'/);
    assertRefused(await create({ pod_id: "restartnow", template: "neo4j", status_requested: "RESTART" }), 400, /status_requested: must be ON or OFF/);
  });

  it("refusesUpdatesOfFieldsThatCannotChange", async () => {
    assertRefused(await svc.api("PUT", "/v3/pods/dup", { token: jwt, body: { image: "other:1" } }), 400, /^image: unknown field$/);
    assertRefused(await svc.api("PUT", "/v3/pods/dup", { token: jwt, body: { pod_id: "renamed" } }), 400, /^pod_id: unknown field$/);
    assertRefused(await svc.api("PUT", "/v3/pods/dup", { token: jwt, body: { description: "x".repeat(300) } }), 400, /description: must be at most 255 characters/);
    assert.equal((await svc.api("GET", "/v3/pods/dup", { token: jwt })).body.result.description, "first");
  });

  it("refusesUnknownQueryParameters", async () => {
    assertRefused(await svc.api("GET", "/v3/pods/dup?colour=blue", { token: jwt }), 400, /colour: unknown query parameter/);
    assertRefused(await svc.api("GET", "/v3/pods/dup/restart?grab_latest_template_tag=perhaps", { token: jwt }), 400, /grab_latest_template_tag: expected true or false/);
  });

  it("answersUnknownEndpointsAndMethodsClearly", async () => {
    assertRefused(await svc.api("GET", "/v3/nothing/here", { token: jwt }), 404, /no such endpoint: GET \/v3\/nothing\/here/);
    const wrongMethod = await svc.api("PATCH", "/v3/pods/dup", { token: jwt, body: {} });
    assertRefused(wrongMethod, 405, /PATCH is not allowed here/);
    assert.match(wrongMethod.headers.get("allow") ?? "", /GET/);
  });

  it("storedNothingForAnyRefusedRequest", async () => {
    assert.deepEqual(await podIds(), ["dup"]);
  });
});

describe("template_overrides obey the rules of the fields they override", () => {
  let svc: TestService;
  let jwt: string;

  before(async () => {
    svc = await startTestService();
    jwt = await svc.token("alice");
  });
  after(() => svc.stop());

  const create = (body: unknown) => svc.api("POST", "/v3/pods", { token: jwt, body });

  it("refusesOverridesOfTheWrongShape", async () => {
    assertRefused(await create({ pod_id: "ovshape", template: "neo4j", template_overrides: { resources: { bogus: 1 } } }), 400, /template_overrides\.resources\.bogus: unknown field/);
    assertRefused(await create({ pod_id: "ovshape", template: "neo4j", template_overrides: { image: "evil:1" } }), 400, /template_overrides\.image: unknown field/);
    assertRefused(await create({ pod_id: "ovshape", template: "neo4j", template_overrides: { resources: { gpus: "many" } } }), 400, /template_overrides\.resources\.gpus: expected an integer/);
  });

  it("refusesOverriddenValuesThatBreakTheRules", async () => {
    const answer = await create({
      pod_id: "ovvalues",
      template: "neo4j",
      template_overrides: { resources: { gpus: 500 }, networking: { default: { protocol: "gopher" } }, volume_mounts: { "../etc": { type: "pvc", source_id: "x" } } },
    });
    assertRefused(answer, 400, /template_overrides\.resources\.gpus: must be between 0 and/);
    assert.match(answer.body.message, /template_overrides\.networking\.default\.protocol: must be one of/);
    assert.match(answer.body.message, /template_overrides\.volume_mounts\.\.\.\/etc: keys must be absolute paths/);
  });

  it("refusesOverridesWithoutATemplate", async () => {
    assertRefused(await create({ pod_id: "ovnotemplate", image: "nginx:1", template_overrides: { resources: { cpu_limit: 500 } } }), 400, /template_overrides: needs a template/);
  });

  it("appliesValidOverridesOverTheTemplate", async () => {
    const created = await create({ pod_id: "ovgood", template: "neo4j", template_overrides: { resources: { cpu_limit: 1000 } } });
    assert.equal(created.status, 200, created.body.message);
    assert.equal(created.body.result.resources.cpu_limit, 1000);
    assert.equal(created.body.result.resources.mem_limit, 3072);
    const listed = await svc.api("GET", "/v3/pods", { token: jwt });
    assert.deepEqual(listed.body.result.map((p: { pod_id: string }) => p.pod_id), ["ovgood"]);
  });
});
