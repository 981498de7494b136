import assert from "node:assert/strict";
import { trustedTenant, type TrustedTenant } from "../support/tokens.js";
import { startTestService, type TestService } from "../support/test-service.js";

type Level = "READ" | "USER" | "ADMIN";

/**
 * Who calls, in the order of each row's statuses: the secret's creator
 * (alice); bob holding ADMIN, USER, READ or no permission on it; a user of
 * another tenant, for whom it does not exist; a service administrator of its
 * tenant (ADMIN on every object of the tenant).
 */
const callers = ["owner", "ADMIN", "USER", "READ", "none", "other tenant", "service admin"] as const;
type Caller = (typeof callers)[number];

interface Endpoint {
  method: string;
  path: string;
  required: Level | "any user";
  body?: (secretId: string, caller: Caller) => unknown;
  status: [number, number, number, number, number, number, number];
  shows?: (result: any, secretId: string, held: Level | "NONE") => void;
}

const value = "matrix-secret-value";

// prettier-ignore
const endpoints: Endpoint[] = [
  //                                                          owner ADMIN USER READ none other admin
  { method: "GET",    path: "",                 required: "READ",  status: [200, 200, 200, 200, 403, 404, 200],
    shows: (result, id) => { assert.equal(result.secret_id, id); assert.ok(!JSON.stringify(result).includes(value)); } },
  { method: "PUT",    path: "",                 required: "USER",  status: [200, 200, 200, 403, 403, 404, 200],
    body: () => ({ description: "changed" }), shows: (result) => assert.equal(result.description, "changed") },
  { method: "DELETE", path: "",                 required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200],
    shows: (result) => assert.equal(result, "") },
  { method: "GET",    path: "/value",           required: "USER",  status: [200, 200, 200, 403, 403, 404, 200],
    shows: (result) => assert.equal(result.secret_value, value) },
  { method: "GET",    path: "/permissions",     required: "USER",  status: [200, 200, 200, 403, 403, 404, 200],
    shows: (result) => assert.ok(result.permissions.includes("alice:ADMIN") && result.permissions.includes("zed:READ")) },
  { method: "POST",   path: "/permissions",     required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200],
    body: () => ({ user: "zed", level: "USER" }), shows: (result) => assert.ok(result.permissions.includes("zed:USER")) },
  { method: "DELETE", path: "/permissions/zed", required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200],
    shows: (result) => assert.ok(!result.permissions.some((entry: string) => entry.startsWith("zed:"))) },
];

// prettier-ignore
const listEndpoints: (Endpoint & { url: string })[] = [
  { method: "GET",  url: "/v3/pods/secrets", path: "", required: "any user", status: [200, 200, 200, 200, 200, 200, 200],
    shows: (result, id, held) => assert.equal(result.some((s: { secret_id: string }) => s.secret_id === id), held !== "NONE") },
  { method: "POST", url: "/v3/pods/secrets", path: "", required: "any user", status: [200, 200, 200, 200, 200, 200, 200],
    body: (id, caller) => ({ secret_id: `${id}_${callers.indexOf(caller)}`, secret_value: "x" }), shows: (result) => assert.match(result.secret_id, /_\d$/) },
];

describe("authorization of secret endpoints", () => {
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
  async function secretSharedWith(level: Level | "NONE"): Promise<string> {
    const id = `sauthz${++counter}`;
    const created = await svc.api("POST", "/v3/pods/secrets", { token: alice, body: { secret_id: id, secret_value: value } });
    assert.equal(created.status, 200, created.body.message);
    await svc.api("POST", `/v3/pods/secrets/${id}/permissions`, { token: alice, body: { user: "zed", level: "READ" } });
    if (level !== "NONE") assert.equal((await svc.api("POST", `/v3/pods/secrets/${id}/permissions`, { token: alice, body: { user: "bob", level } })).status, 200);
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

  async function check(endpoint: Endpoint, url: string, secretId: string, caller: Caller, i: number): Promise<string[]> {
    const { token, level } = await callerOn(caller);
    const answer = await svc.api(endpoint.method, url, { token, body: endpoint.body?.(secretId, caller) });
    const status = endpoint.status[i]!;
    if (answer.status !== status) return [`${caller}: answered ${answer.status} (${answer.body.message}), expected ${status}`];
    try {
      assert.equal(answer.body.status, status === 200 ? "success" : "error");
      if (status === 200) endpoint.shows?.(answer.body.result, secretId, caller === "other tenant" ? "NONE" : level);
      if (status === 403) assert.equal(answer.body.message, `${endpoint.required} permission on secret '${secretId}' is required; you have ${level === "NONE" ? "no permission" : level}`);
      if (status === 404) assert.equal(answer.body.message, `secret '${secretId}' not found`);
      if (status !== 200 || endpoint.path === "/value") return [];
      assert.ok(!JSON.stringify(answer.body).includes(value), "the value shows only in /value");
    } catch (error) {
      return [`${caller}: ${status}, but ${error instanceof Error ? error.message : String(error)}`];
    }
    return [];
  }

  for (const endpoint of [...endpoints, ...listEndpoints] as (Endpoint & { url?: string })[]) {
    const row = callers.map((caller, i) => `${caller} ${endpoint.status[i]}`).join(", ");
    const label = endpoint.url ?? `/pods/secrets/{secret_id}${endpoint.path}`;
    it(`answers ${endpoint.method} ${label} (${endpoint.required}): ${row}`, async () => {
      const failures: string[] = [];
      for (const [i, caller] of callers.entries()) {
        const id = await secretSharedWith(caller === "ADMIN" || caller === "USER" || caller === "READ" ? caller : "NONE");
        const url = endpoint.url ?? `/v3/pods/secrets/${id}${endpoint.path}`;
        failures.push(...(await check(endpoint, url, id, caller, i)));
      }
      assert.deepEqual(failures, [], failures.join("\n"));
    });
  }
});
