import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { generateKeyPair, type CryptoKey } from "jose";
import { startTestService, type TestService } from "../support/test-service.js";
import { accessClaims, devSigningKey, signClaims, trustedTenant, unsignedToken, type Claims, type TrustedTenant } from "../support/tokens.js";

/**
 * Forged and mis-claimed tokens, each refused with its exact status, and the
 * service still healthy afterwards.
 */
describe("forged and mis-claimed tokens", () => {
  let svc: TestService;
  let devKey: CryptoKey;
  let devIssuer: string;
  let devPublicPem: string;
  let other: TrustedTenant;

  before(async () => {
    other = await trustedTenant();
    svc = await startTestService({ PODS_TENANT_KEYS_FILE: other.keysFile, PODS_ADMIN_USERS: "admin@dev" });
    devKey = await devSigningKey(svc.dataDir);
    devIssuer = `${svc.baseUrl}/v3/tokens`;
    devPublicPem = createPublicKey(await readFile(join(svc.dataDir, "identity", "signing-key.pem"), "utf8")).export({ type: "spki", format: "pem" }).toString();
  });
  after(() => svc.stop());

  const dev = (overrides: Claims = {}) => accessClaims("dev", "alice", devIssuer, overrides);
  const now = () => Math.floor(Date.now() / 1000);

  const cases: [string, () => Promise<string>, number, RegExp][] = [
    ["alg none", async () => unsignedToken(dev()), 401, /RS256|invalid/],
    ["HS256 signed with the tenant's public key", async () => signClaims(new TextEncoder().encode(devPublicPem), dev(), "HS256"), 401, /RS256/],
    ["another key", async () => signClaims((await generateKeyPair("RS256")).privateKey, dev()), 401, /signature or claims are invalid/],
    ["a tampered payload", async () => tamper(await signClaims(devKey, dev()), { "tapis/username": "admin", sub: "admin@dev" }), 401, /signature or claims are invalid/],
    ["an expiry in the past", async () => signClaims(devKey, dev({ exp: now() - 120 })), 401, /expired/],
    ["a not-before in the future", async () => signClaims(devKey, dev({ nbf: now() + 600 })), 401, /nbf/],
    ["an issued-at in the future", async () => signClaims(devKey, dev({ iat: now() + 600 })), 401, /iat/],
    ["no issuer", async () => signClaims(devKey, dev({ iss: undefined })), 401, /no iss claim/],
    ["another tenant's issuer", async () => signClaims(devKey, dev({ iss: other.issuer })), 401, /is not the token service of tenant 'dev'/],
    ["the refresh token type", async () => signClaims(devKey, dev({ "tapis/token_type": "refresh" })), 401, /tapis\/token_type must be access/],
    ["an unknown tenant", async () => signClaims(devKey, accessClaims("nowhere", "alice", devIssuer)), 401, /unknown tenant 'nowhere'/],
    ["tenant dev claimed with the other tenant's key", async () => signClaims(other.privateKey, dev()), 401, /signature or claims are invalid/],
    ["not a JWT at all", async () => "abc.def", 401, /not a JWT/],
  ];
  for (const [what, token, status, message] of cases) {
    it(`refuses a token with ${what}`, async () => {
      const answer = await svc.api("GET", "/v3/pods", { token: await token() });
      assert.equal(answer.status, status, `${answer.status} ${answer.body.message}`);
      assert.match(answer.body.message, message);
    });
  }

  it("refusesAServiceTokenActingInAnotherTenant", async () => {
    const service = await other.token("jobs", { "tapis/account_type": "service" });
    const answer = await svc.api("GET", "/v3/pods", { token: service, headers: { "X-Tapis-Tenant": "dev", "X-Tapis-User": "alice" } });
    assert.equal(answer.status, 403);
    assert.match(answer.body.message, /service 'jobs' of tenant 'other' may not act in tenant 'dev'/);
  });

  it("doesNotMakeAServiceActingForAnAdminAnAdmin", async () => {
    const service = await signClaims(devKey, accessClaims("dev", "jobs", devIssuer, { "tapis/account_type": "service" }));
    const created = await svc.api("POST", "/v3/pods", { token: await svc.token("bob"), body: { pod_id: "bobspod", template: "neo4j" } });
    assert.equal(created.status, 200);
    const answer = await svc.api("GET", "/v3/pods/bobspod", { token: service, headers: { "X-Tapis-User": "admin" } });
    assert.equal(answer.status, 403, answer.body.message);
  });

  it("staysHealthyAfterwards", async () => {
    assert.equal((await svc.api("GET", "/v3/pods/healthcheck")).status, 200);
    assert.equal((await svc.api("GET", "/v3/pods", { token: await signClaims(devKey, dev()) })).status, 200);
  });
});

/** The token with its payload changed and its signature kept. */
function tamper(token: string, changes: Claims): string {
  const [header, payload, signature] = token.split(".");
  const claims = { ...JSON.parse(Buffer.from(payload!, "base64url").toString()), ...changes };
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${signature}`;
}
