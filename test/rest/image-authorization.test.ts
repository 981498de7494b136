import assert from "node:assert/strict";
import { trustedTenant, type TrustedTenant } from "../support/tokens.js";
import { startTestService, type TestService } from "../support/test-service.js";

/**
 * Who calls, in the order of each row's statuses, as in the other matrices.
 * Images carry no per-user levels: the first five are users of the entry's
 * tenant (alice, and bob as he would hold ADMIN, USER, READ or nothing on
 * other objects), then a user of another tenant, then a service
 * administrator, who alone may change the allowlist.
 */
const callers = ["owner", "ADMIN", "USER", "READ", "none", "other tenant", "service admin"] as const;
type Caller = (typeof callers)[number];

interface Endpoint {
  method: string;
  path: (imageId: string) => string;
  label: string;
  body?: (imageId: string, caller: Caller) => unknown;
  status: [number, number, number, number, number, number, number];
  rpc?: string;
}

// prettier-ignore
const endpoints: Endpoint[] = [
  //                                                                                          owner ADMIN USER READ none other admin
  { method: "GET",    label: "/pods/images",            path: () => "/v3/pods/images",          status: [200, 200, 200, 200, 200, 200, 200] },
  { method: "GET",    label: "/pods/images/{image_id}", path: (id) => `/v3/pods/images/${id}`,  status: [200, 200, 200, 200, 200, 404, 200] },
  { method: "POST",   label: "/pods/images",            path: () => "/v3/pods/images",          status: [403, 403, 403, 403, 403, 403, 200], rpc: "AddImage",
    body: (id, caller) => ({ image: `${id}/${callers.indexOf(caller)}` }) },
  { method: "POST",   label: "/pods/images/bulk",       path: () => "/v3/pods/images/bulk",     status: [403, 403, 403, 403, 403, 403, 200], rpc: "AddImages",
    body: (id, caller) => [{ image: `${id}/bulk${callers.indexOf(caller)}` }] },
  { method: "DELETE", label: "/pods/images/{image_id}", path: (id) => `/v3/pods/images/${id}`,  status: [403, 403, 403, 403, 403, 403, 200], rpc: "DeleteImage" },
];

describe("authorization of image endpoints", () => {
  let svc: TestService;
  let other: TrustedTenant;
  let admin: string;

  before(async () => {
    other = await trustedTenant();
    svc = await startTestService({ PODS_TENANT_KEYS_FILE: other.keysFile });
    admin = await svc.token("admin");
  });
  after(() => svc.stop());

  let counter = 0;
  /** An entry of the dev tenant only. */
  async function devImage(): Promise<string> {
    const id = `registry.example/team${++counter}`;
    const added = await svc.api("POST", "/v3/pods/images", { token: admin, body: { image: id } });
    assert.equal(added.status, 200, added.body.message);
    return id;
  }

  async function tokenOf(caller: Caller): Promise<string> {
    if (caller === "owner") return svc.token("alice");
    if (caller === "other tenant") return other.token("alice");
    if (caller === "service admin") return admin;
    return svc.token("bob");
  }

  for (const endpoint of endpoints) {
    const row = callers.map((caller, i) => `${caller} ${endpoint.status[i]}`).join(", ");
    it(`answers ${endpoint.method} ${endpoint.label}: ${row}`, async () => {
      const failures: string[] = [];
      for (const [i, caller] of callers.entries()) {
        const id = await devImage();
        const answer = await svc.api(endpoint.method, endpoint.path(id), { token: await tokenOf(caller), body: endpoint.body?.(id, caller) });
        const status = endpoint.status[i]!;
        if (answer.status !== status) {
          failures.push(`${caller}: answered ${answer.status} (${answer.body.message}), expected ${status}`);
          continue;
        }
        if (status === 403 && answer.body.message !== `only administrators of this service may call ${endpoint.rpc}`) failures.push(`${caller}: 403 with ${answer.body.message}`);
        if (status === 404 && answer.body.message !== `image '${id}' not found`) failures.push(`${caller}: 404 with ${answer.body.message}`);
      }
      assert.deepEqual(failures, [], failures.join("\n"));
    });
  }
});
