import assert from "node:assert/strict";
import { startTestService, type ApiAnswer, type TestService } from "../support/test-service.js";

function assertRefused(answer: ApiAnswer, status: number, pattern: RegExp): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.body.status, "error");
  assert.match(answer.body.message, pattern);
}

/** save_pod_as_template_tag: a pod's effective definition becomes a tag of a new or existing template. */
describe("saving a pod as a template tag", () => {
  let svc: TestService;
  let alice: string;
  let bob: string;

  before(async () => {
    svc = await startTestService();
    alice = await svc.token("alice");
    bob = await svc.token("bob");
    const created = await svc.api("POST", "/v3/pods", {
      token: alice,
      body: { pod_id: "mypod", template: "neo4j", description: "tuned neo4j", environment_variables: { NEO4J_server_memory_heap_max__size: "1G" }, time_to_stop_default: -1 },
    });
    assert.equal(created.status, 200, created.body.message);
  });
  after(() => svc.stop());

  const save = (token: string, podIdNet: string, body: unknown) => svc.api("POST", `/v3/pods/${podIdNet}/save_pod_as_template_tag`, { token, body });

  it("savesTheSeedsExampleIntoANewTemplateOwnedByTheCaller", async () => {
    const answer = await save(alice, "mypod", { template_id: "mytemplate", tag: "v1", commit_message: "Saved from running pod config" });
    assert.equal(answer.status, 200, answer.body.message);
    assert.equal(answer.body.message, "Pod saved as template tag successfully.");
    const tag = answer.body.result;
    assert.equal(tag.template_id, "mytemplate");
    assert.equal(tag.tag, "v1");
    assert.equal(tag.commit_message, "Saved from running pod config");
    assert.equal(tag.added_by, "alice");
    const definition = tag.pod_definition;
    assert.equal(definition.image, "neo4j:5.26");
    assert.equal(definition.description, "tuned neo4j");
    assert.equal(definition.environment_variables.NEO4J_server_memory_heap_max__size, "1G");
    assert.equal(definition.environment_variables.NEO4J_AUTH !== undefined, true, "the template's own variables come along");
    assert.equal(definition.networking.bolt.port, 7687);
    assert.equal(definition.time_to_stop_default, -1);
    assert.equal(definition.template, null, "the definition stands on its own");
    const template = await svc.api("GET", "/v3/pods/templates/mytemplate", { token: alice });
    assert.deepEqual(template.body.result.permissions, ["alice:ADMIN"]);

    const copy = await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: "mycopy", template: "mytemplate:v1" } });
    assert.equal(copy.status, 200, copy.body.message);
    assert.equal(copy.body.result.description, "tuned neo4j");
    assert.equal(copy.body.result.networking.bolt.port, 7687);
  });

  it("acceptsThePodIdWithANetworkingSuffix", async () => {
    const answer = await save(alice, "mypod-bolt", { template_id: "mytemplate", commit_message: "again" });
    assert.equal(answer.status, 200, answer.body.message);
    assert.equal(answer.body.result.tag, "latest");
  });

  it("addsATagToAnExistingTemplateOnlyForUsersWithUserOnIt", async () => {
    assert.equal((await svc.api("POST", "/v3/pods", { token: bob, body: { pod_id: "bobspod", image: "nginx:1.27" } })).status, 200);
    assertRefused(await save(bob, "bobspod", { template_id: "mytemplate", commit_message: "bob's" }), 403, /^USER permission on template 'mytemplate' is required; you have no permission$/);
    await svc.api("POST", "/v3/pods/templates/mytemplate/permissions", { token: alice, body: { user: "bob", level: "READ" } });
    assertRefused(await save(bob, "bobspod", { template_id: "mytemplate", commit_message: "bob's" }), 403, /^USER permission on template 'mytemplate' is required; you have READ$/);
    await svc.api("POST", "/v3/pods/templates/mytemplate/permissions", { token: alice, body: { user: "bob", level: "USER" } });
    const answer = await save(bob, "bobspod", { template_id: "mytemplate", tag: "bob", commit_message: "bob's" });
    assert.equal(answer.status, 200, answer.body.message);
    assert.equal(answer.body.result.pod_definition.image, "nginx:1.27");
    assert.deepEqual((await svc.api("GET", "/v3/pods/templates/mytemplate/permissions", { token: alice })).body.result.permissions, ["alice:ADMIN", "bob:USER"]);
    assertRefused(await save(bob, "bobspod", { template_id: "neo4j", commit_message: "into a built-in" }), 403, /^USER permission on template 'neo4j' is required; you have READ$/);
  });

  it("refusesBadInputNamingTheField", async () => {
    assertRefused(await save(alice, "mypod", { tag: "v2", commit_message: "x" }), 400, /^template_id: must be 3-64 lowercase letters and digits/);
    assertRefused(await save(alice, "mypod", { template_id: "mytemplate" }), 400, /^commit_message: is required$/);
    assertRefused(await save(alice, "mypod", { template_id: "mytemplate", tag: "bad tag", commit_message: "x" }), 400, /^tag: must be 1-80 letters/);
    assertRefused(await save(alice, "nosuchpod", { template_id: "mytemplate", commit_message: "x" }), 404, /^pod 'nosuchpod' not found$/);
    assertRefused(await save(bob, "mypod", { template_id: "mytemplate", commit_message: "x" }), 403, /^ADMIN permission on pod 'mypod' is required; you have no permission$/);
    assert.equal((await svc.api("GET", "/v3/pods/templates/mytemplate/tags/v2", { token: alice })).status, 404, "nothing is stored");
  });
});
