import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { accessClaims, signClaims, unsignedToken } from "../support/tokens.js";
import { startTestService, type TestService } from "../support/test-service.js";

type Level = "READ" | "USER" | "ADMIN";
const rank: Record<Level | "NONE", number> = { NONE: 0, READ: 1, USER: 2, ADMIN: 3 };

/** The seed's permission table (plus the rows the upstream route table adds). */
const podEndpoints: { method: string; path: string; required: Level; body?: unknown }[] = [
  { method: "GET", path: "/permissions", required: "USER" },
  { method: "DELETE", path: "/permissions/zed", required: "ADMIN" },
  { method: "POST", path: "/permissions", required: "ADMIN", body: { user: "zed", level: "USER" } },
  { method: "GET", path: "/logs", required: "READ" },
  { method: "GET", path: "/credentials", required: "USER" },
  { method: "POST", path: "/save_pod_as_template_tag", required: "ADMIN", body: { template_id: "mine", commit_message: "saved" } },
  { method: "GET", path: "/stop", required: "ADMIN" },
  { method: "GET", path: "/start", required: "ADMIN" },
  { method: "GET", path: "/restart", required: "ADMIN" },
  { method: "GET", path: "/derived", required: "READ" },
  { method: "POST", path: "/exec", required: "ADMIN", body: { commands: ["ls"] } },
  { method: "GET", path: "", required: "READ" },
  { method: "PUT", path: "", required: "USER", body: { description: "changed" } },
  { method: "DELETE", path: "", required: "ADMIN" },
  { method: "POST", path: "/volumes", required: "USER", body: { volume_mounts: {} } },
];

describe("authorization of pod endpoints", () => {
  let svc: TestService;
  let alice: string;
  let otherTenant: { privateKey: CryptoKey; publicKey: CryptoKey };
  const otherIssuer = "https://other.tapis.example/v3/tokens";

  before(async () => {
    otherTenant = await generateKeyPair("RS256");
    const keysFile = join(process.env.TMPDIR ?? "/tmp", `pods-tenant-keys-${process.pid}.json`);
    await writeFile(keysFile, JSON.stringify({ other: { public_key: await exportSPKI(otherTenant.publicKey), token_service: otherIssuer } }));
    svc = await startTestService({ PODS_TENANT_KEYS_FILE: keysFile });
    alice = await svc.token("alice");
  });
  after(() => svc.stop());

  const tokenOf = (tenant: string, username: string, key: CryptoKey, alg = "RS256", expiresIn = 3600) =>
    signClaims(key, accessClaims(tenant, username, otherIssuer, { exp: Math.floor(Date.now() / 1000) + expiresIn }), alg);

  let counter = 0;
  async function podSharedWith(user: string, level: Level | "NONE"): Promise<string> {
    const id = `authz${++counter}`;
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: id, template: "neo4j" } })).status, 200);
    await svc.api("POST", `/v3/pods/${id}/permissions`, { token: alice, body: { user: "zed", level: "READ" } });
    if (level !== "NONE") {
      assert.equal((await svc.api("POST", `/v3/pods/${id}/permissions`, { token: alice, body: { user, level } })).status, 200);
    }
    return id;
  }

  it("refusesRequestsWithoutATokenWith401", async () => {
    const answer = await svc.api("GET", "/v3/pods");
    assert.equal(answer.status, 401);
    assert.match(answer.body.message, /X-Tapis-Token header is required/);
  });

  it("refusesForgedExpiredAndNonRs256TokensWith401", async () => {
    const stranger = await generateKeyPair("RS256");
    const cases: [string, RegExp][] = [
      ["not-a-jwt", /not a JWT/],
      [await tokenOf("dev", "alice", stranger.privateKey), /signature or claims are invalid/],
      [await tokenOf("nowhere", "alice", stranger.privateKey), /unknown tenant 'nowhere'/],
      [await tokenOf("other", "alice", otherTenant.privateKey, "RS256", -3600), /expired/],
      [await new SignJWT({ "tapis/tenant_id": "dev", "tapis/username": "alice" }).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode("secret")), /RS256|invalid/],
      [unsignedToken({ "tapis/tenant_id": "dev", "tapis/username": "alice", exp: Math.floor(Date.now() / 1000) + 3600 }), /RS256|invalid/],
    ];
    for (const [token, pattern] of cases) {
      const answer = await svc.api("GET", "/v3/pods", { token });
      assert.equal(answer.status, 401, `token ${token.slice(0, 20)}: ${answer.body.message}`);
      assert.match(answer.body.message, pattern);
    }
  });

  it("hidesEveryPodFromAnotherTenant", async () => {
    const id = await podSharedWith("bob", "ADMIN");
    const outsider = await tokenOf("other", "alice", otherTenant.privateKey);
    assert.deepEqual((await svc.api("GET", "/v3/pods", { token: outsider })).body.result, []);
    for (const endpoint of podEndpoints) {
      const answer = await svc.api(endpoint.method, `/v3/pods/${id}${endpoint.path}`, { token: outsider, body: endpoint.body });
      assert.equal(answer.status, 404, `${endpoint.method} ${endpoint.path}: ${answer.body.message}`);
    }
    assert.equal((await svc.api("GET", `/v3/pods/${id}`, { token: alice })).status, 200);
  });

  it("letsAnotherTenantUseTheSamePodIdSeparately", async () => {
    const outsider = await tokenOf("other", "carol", otherTenant.privateKey);
    const id = await podSharedWith("bob", "NONE");
    const theirs = await svc.api("POST", "/v3/pods", { token: outsider, body: { pod_id: id, template: "postgres" } });
    assert.equal(theirs.status, 200);
    assert.equal((await svc.api("GET", `/v3/pods/${id}`, { token: alice })).body.result.template, "neo4j");
    assert.equal((await svc.api("GET", `/v3/pods/${id}`, { token: outsider })).body.result.template, "postgres");
  });

  for (const endpoint of podEndpoints) {
    it(`enforces ${endpoint.required} on ${endpoint.method} /pods/{pod_id}${endpoint.path}`, async () => {
      for (const level of ["NONE", "READ", "USER", "ADMIN"] as const) {
        const id = await podSharedWith("bob", level);
        const answer = await svc.api(endpoint.method, `/v3/pods/${id}${endpoint.path}`, { token: await svc.token("bob"), body: endpoint.body });
        const allowed = rank[level] >= rank[endpoint.required];
        if (allowed) {
          assert.ok(answer.status !== 403 && answer.status !== 401, `bob with ${level}: ${answer.status} ${answer.body.message}`);
        } else {
          assert.equal(answer.status, 403, `bob with ${level}: ${answer.body.message}`);
          assert.match(answer.body.message, new RegExp(`${endpoint.required} permission on pod '${id}' is required`));
        }
      }
    });
  }

  it("refusesStartingOrStoppingThroughUpdateWithoutAdmin", async () => {
    const id = await podSharedWith("bob", "USER");
    const bob = await svc.token("bob");
    const answer = await svc.api("PUT", `/v3/pods/${id}`, { token: bob, body: { status_requested: "OFF" } });
    assert.equal(answer.status, 403);
    assert.match(answer.body.message, /ADMIN permission on pod/);
    assert.equal((await svc.api("GET", `/v3/pods/${id}`, { token: alice })).body.result.status_requested, "ON");
    assert.equal((await svc.api("PUT", `/v3/pods/${id}`, { token: bob, body: { description: "bob was here" } })).status, 200);
  });

  it("refusesATokenWithoutExpiry", async () => {
    const token = await signClaims(otherTenant.privateKey, accessClaims("other", "alice", otherIssuer, { exp: undefined }));
    assert.equal((await svc.api("GET", "/v3/pods", { token })).status, 401);
  });

  it("letsAServiceActForAUserOfItsOwnTenantOnly", async () => {
    const service = await signClaims(otherTenant.privateKey, accessClaims("other", "jobs", otherIssuer, { "tapis/account_type": "service" }));
    const asCarol = await svc.api("POST", "/v3/pods", { token: service, headers: { "X-Tapis-User": "carol" }, body: { pod_id: "servicemade", template: "neo4j" } });
    assert.equal(asCarol.status, 200);
    const carol = await tokenOf("other", "carol", otherTenant.privateKey);
    assert.deepEqual((await svc.api("GET", "/v3/pods/servicemade/permissions", { token: carol })).body.result.permissions, ["carol:ADMIN"]);

    const elsewhere = await svc.api("GET", "/v3/pods", { token: service, headers: { "X-Tapis-Tenant": "dev", "X-Tapis-User": "alice" } });
    assert.equal(elsewhere.status, 403);
    assert.match(elsewhere.body.message, /may not act in tenant 'dev'/);
  });

  it("keepsAtLeastOneAdmin", async () => {
    const id = await podSharedWith("bob", "READ");
    const answer = await svc.api("DELETE", `/v3/pods/${id}/permissions/alice`, { token: alice });
    assert.equal(answer.status, 400);
    assert.match(answer.body.message, /alice is the last ADMIN/);
    assert.equal((await svc.api("POST", `/v3/pods/${id}/permissions`, { token: alice, body: { user: "alice", level: "READ" } })).status, 400);
  });

  it("listsPermissionsAsUserColonLevel", async () => {
    const id = await podSharedWith("bob", "USER");
    const answer = await svc.api("GET", `/v3/pods/${id}/permissions`, { token: alice });
    assert.deepEqual(answer.body.result, { permissions: ["alice:ADMIN", "bob:USER", "zed:READ"] });
    assert.equal(answer.body.message, "Pod permissions retrieved successfully.");
  });

  it("refusesABadPermissionLevel", async () => {
    const id = await podSharedWith("bob", "NONE");
    const answer = await svc.api("POST", `/v3/pods/${id}/permissions`, { token: alice, body: { user: "bob", level: "OWNER" } });
    assert.equal(answer.status, 400);
    assert.match(answer.body.message, /level: must be one of READ, USER, ADMIN/);
  });
});
