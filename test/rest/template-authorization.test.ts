import assert from "node:assert/strict";
import { trustedTenant, type TrustedTenant } from "../support/tokens.js";
import { startTestService, type TestService } from "../support/test-service.js";

type Level = "READ" | "USER" | "ADMIN";
type Json = Record<string, any>;

/**
 * Who calls, in the order of each row's statuses: the template's creator
 * (alice); bob holding ADMIN, USER, READ or no permission on it; a user of
 * another tenant, for whom it does not exist; a service administrator of its
 * tenant (ADMIN on every object of the tenant).
 */
const callers = ["owner", "ADMIN", "USER", "READ", "none", "other tenant", "service admin"] as const;
type Caller = (typeof callers)[number];

interface Endpoint {
  method: string;
  /** Under /v3/pods/templates/{template_id}; null for the calls on /v3/pods/templates itself. */
  path: string;
  required: Level | "any user";
  body?: (templateId: string, caller: Caller) => unknown;
  status: [number, number, number, number, number, number, number];
  shows?: (result: any, templateId: string, held: Level | "NONE") => void;
}

const showsTheTemplate = (result: Json, templateId: string) => assert.equal(result.template_id, templateId);
const listed = (result: Json[], templateId: string) => result.some((t) => t.template_id === templateId);
const noDependents = { dependant_pods: [], dependant_pod_count: 0, dependant_tags: [], dependant_tags_count: 0 };

// prettier-ignore
const templateEndpoints: Endpoint[] = [
  //                                                             owner ADMIN USER READ none other admin
  { method: "GET",    path: "",                 required: "READ",  status: [200, 200, 200, 200, 403, 404, 200], shows: showsTheTemplate },
  { method: "PUT",    path: "",                 required: "USER",  status: [200, 200, 200, 403, 403, 404, 200],
    body: () => ({ description: "changed" }), shows: (result) => assert.equal(result.description, "changed") },
  { method: "DELETE", path: "",                 required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200],
    shows: (result) => assert.equal(result, "") },
  { method: "GET",    path: "/tags",            required: "READ",  status: [200, 200, 200, 200, 403, 404, 200],
    shows: (result) => assert.equal(result[0].tag, "latest") },
  { method: "POST",   path: "/tags",            required: "USER",  status: [200, 200, 200, 403, 403, 404, 200],
    body: () => ({ tag: "v2", commit_message: "next", pod_definition: { image: "nginx:1.27" } }), shows: (result) => assert.equal(result.tag, "v2") },
  { method: "GET",    path: "/tags/latest",     required: "READ",  status: [200, 200, 200, 200, 403, 404, 200],
    shows: (result) => assert.equal(result[0].pod_definition.image, "nginx:1") },
  // Dependents name the tenant's pods and templates that use a version: for those who administer the template.
  { method: "GET",    path: "/tags?include_dependencies=true",        required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200],
    shows: (result) => assert.deepEqual(result[0].dependents, noDependents) },
  { method: "GET",    path: "/tags/latest?include_dependencies=true", required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200],
    shows: (result) => assert.deepEqual(result[0].dependents, noDependents) },
  { method: "DELETE", path: "/tags/latest",     required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200],
    shows: (result) => assert.equal(result.tag, "latest") },
  { method: "GET",    path: "/permissions",     required: "USER",  status: [200, 200, 200, 403, 403, 404, 200],
    shows: (result) => assert.ok(result.permissions.includes("alice:ADMIN") && result.permissions.includes("zed:READ"), JSON.stringify(result)) },
  { method: "POST",   path: "/permissions",     required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200],
    body: () => ({ user: "zed", level: "USER" }), shows: (result) => assert.ok(result.permissions.includes("zed:USER")) },
  { method: "DELETE", path: "/permissions/zed", required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200],
    shows: (result) => assert.ok(!result.permissions.some((entry: string) => entry.startsWith("zed:"))) },
];

// prettier-ignore
const listEndpoints: Endpoint[] = [
  { method: "GET",  path: "/v3/pods/templates",      required: "any user", status: [200, 200, 200, 200, 200, 200, 200],
    shows: (result, id, held) => assert.equal(listed(result, id), held !== "NONE", `listed: ${JSON.stringify(result.map((t: Json) => t.template_id))}`) },
  { method: "GET",  path: "/v3/pods/templates/tags", required: "any user", status: [200, 200, 200, 200, 200, 200, 200],
    shows: (result, id, held) => assert.equal(id in result, held !== "NONE") },
  { method: "GET",  path: "/v3/pods/templates/tags?include_dependencies=true", required: "any user", status: [200, 200, 200, 200, 200, 200, 200],
    shows: (result, id, held) => {
      assert.equal(id in result, held !== "NONE");
      if (id in result) assert.deepEqual(result[id].tags[0].dependents, held === "ADMIN" ? noDependents : null, `held ${held}`);
    } },
  { method: "POST", path: "/v3/pods/templates",      required: "any user", status: [200, 200, 200, 200, 200, 200, 200],
    body: (id, caller) => ({ template_id: `${id}x${callers.indexOf(caller)}` }), shows: (result) => assert.match(result.template_id, /x\d$/) },
];

describe("authorization of template endpoints", () => {
  let svc: TestService;
  let alice: string;
  let other: TrustedTenant;

  before(async () => {
    other = await trustedTenant();
    svc = await startTestService({ PODS_TENANT_KEYS_FILE: other.keysFile });
    alice = await svc.token("alice");
  });
  after(() => svc.stop());

  let counter = 0;
  async function templateSharedWith(level: Level | "NONE"): Promise<string> {
    const id = `tauthz${++counter}`;
    assert.equal((await svc.api("POST", "/v3/pods/templates", { token: alice, body: { template_id: id } })).status, 200);
    const tag = await svc.api("POST", `/v3/pods/templates/${id}/tags`, { token: alice, body: { commit_message: "first", pod_definition: { image: "nginx:1" } } });
    assert.equal(tag.status, 200, tag.body.message);
    await svc.api("POST", `/v3/pods/templates/${id}/permissions`, { token: alice, body: { user: "zed", level: "READ" } });
    if (level !== "NONE") assert.equal((await svc.api("POST", `/v3/pods/templates/${id}/permissions`, { token: alice, body: { user: "bob", level } })).status, 200);
    return id;
  }

  async function callerOn(caller: Caller): Promise<{ token: string; level: Level | "NONE" }> {
    switch (caller) {
      case "owner":
        return { token: alice, level: "ADMIN" };
      case "other tenant":
        return { token: await other.token("alice"), level: "NONE" };
      case "service admin":
        return { token: await svc.token("admin"), level: "ADMIN" };
      case "none":
        return { token: await svc.token("bob"), level: "NONE" };
      default:
        return { token: await svc.token("bob"), level: caller };
    }
  }

  async function check(endpoint: Endpoint, path: string, templateId: string, caller: Caller, i: number): Promise<string[]> {
    const { token, level } = await callerOn(caller);
    const answer = await svc.api(endpoint.method, path, { token, body: endpoint.body?.(templateId, caller) });
    const status = endpoint.status[i]!;
    if (answer.status !== status) return [`${caller}: answered ${answer.status} (${answer.body.message}), expected ${status}`];
    try {
      assert.equal(answer.body.status, status === 200 ? "success" : "error");
      if (status === 200) endpoint.shows?.(answer.body.result, templateId, caller === "other tenant" ? "NONE" : level);
      if (status === 403) assert.equal(answer.body.message, `${endpoint.required} permission on template '${templateId}' is required; you have ${level === "NONE" ? "no permission" : level}`);
      if (status === 404) assert.equal(answer.body.message, `template '${templateId}' not found`);
    } catch (error) {
      return [`${caller}: ${status}, but ${error instanceof Error ? error.message : String(error)}`];
    }
    return [];
  }

  for (const endpoint of templateEndpoints) {
    const row = callers.map((caller, i) => `${caller} ${endpoint.status[i]}`).join(", ");
    it(`answers ${endpoint.method} /pods/templates/{template_id}${endpoint.path} (${endpoint.required}): ${row}`, async () => {
      const failures: string[] = [];
      for (const [i, caller] of callers.entries()) {
        const id = await templateSharedWith(caller === "ADMIN" || caller === "USER" || caller === "READ" ? caller : "NONE");
        failures.push(...(await check(endpoint, `/v3/pods/templates/${id}${endpoint.path}`, id, caller, i)));
      }
      assert.deepEqual(failures, [], failures.join("\n"));
    });
  }

  for (const endpoint of listEndpoints) {
    const row = callers.map((caller, i) => `${caller} ${endpoint.status[i]}`).join(", ");
    it(`answers ${endpoint.method} ${endpoint.path} (any user): ${row}`, async () => {
      const failures: string[] = [];
      for (const [i, caller] of callers.entries()) {
        const id = await templateSharedWith(caller === "ADMIN" || caller === "USER" || caller === "READ" ? caller : "NONE");
        failures.push(...(await check(endpoint, endpoint.path, id, caller, i)));
      }
      assert.deepEqual(failures, [], failures.join("\n"));
    });
  }

  it("letsEveryoneReadTheBuiltInTemplatesAndOnlyServiceAdminsTouchThem", async () => {
    const bob = await svc.token("bob");
    const carol = await other.token("carol");
    for (const token of [alice, bob, carol]) {
      assert.equal((await svc.api("GET", "/v3/pods/templates/neo4j", { token })).status, 200);
      assert.equal((await svc.api("GET", "/v3/pods/templates/neo4j/tags/latest", { token })).status, 200);
      assert.equal((await svc.api("PUT", "/v3/pods/templates/neo4j", { token, body: { description: "mine" } })).status, 403);
      assert.equal((await svc.api("DELETE", "/v3/pods/templates/neo4j/tags/latest", { token })).status, 403);
    }
  });
});
