import assert from "node:assert/strict";
import { startTestService, type TestService } from "../support/test-service.js";
import { accessClaims, devSigningKey, signClaims, type Claims } from "../support/tokens.js";
import type { CryptoKey } from "jose";

/**
 * Tokens signed with the right key but whose claims are wrong: each is
 * refused with 401 and a message naming the claim.
 */
describe("token claims", () => {
  let svc: TestService;
  let devKey: CryptoKey;
  let issuer: string;

  before(async () => {
    svc = await startTestService();
    devKey = await devSigningKey(svc.dataDir);
    issuer = `${svc.baseUrl}/v3/tokens`;
  });
  after(() => svc.stop());

  const now = () => Math.floor(Date.now() / 1000);
  const withClaims = (overrides: Claims) => signClaims(devKey, accessClaims("dev", "alice", issuer, overrides));

  it("acceptsAWellFormedTokenOfTheTenantsIssuer", async () => {
    const answer = await svc.api("GET", "/v3/pods", { token: await withClaims({}) });
    assert.equal(answer.status, 200, answer.body.message);
  });

  const refused: [string, () => Claims, RegExp][] = [
    ["a foreign issuer", () => ({ iss: "https://elsewhere.example/v3/tokens" }), /iss.*https:\/\/elsewhere\.example\/v3\/tokens/],
    ["no issuer", () => ({ iss: undefined }), /iss/],
    ["an issued-at time in the future", () => ({ iat: now() + 3600 }), /iat/],
    ["a not-before time in the future", () => ({ nbf: now() + 3600 }), /nbf/],
    ["no expiry", () => ({ exp: undefined }), /exp/],
    ["no token type", () => ({ "tapis/token_type": undefined }), /tapis\/token_type/],
    ["a refresh token type", () => ({ "tapis/token_type": "refresh" }), /tapis\/token_type/],
    ["no subject", () => ({ sub: undefined }), /sub/],
    ["a subject of another user", () => ({ sub: "bob@dev" }), /sub/],
    ["no username", () => ({ "tapis/username": undefined }), /tapis\/username/],
    ["an unknown account type", () => ({ "tapis/account_type": "robot" }), /tapis\/account_type/],
  ];
  for (const [what, overrides, message] of refused) {
    it(`refusesATokenWith ${what}`, async () => {
      const answer = await svc.api("GET", "/v3/pods", { token: await withClaims(overrides()) });
      assert.equal(answer.status, 401, `${what}: ${answer.status} ${answer.body.message}`);
      assert.match(answer.body.message, message);
    });
  }
});
