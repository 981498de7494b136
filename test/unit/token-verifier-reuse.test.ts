import assert from "node:assert/strict";
import { exportSPKI, generateKeyPair, importSPKI, type CryptoKey, type GenerateKeyPairResult } from "jose";
import type { TenantKeySource, TenantTrust } from "../../control-plane/auth/tenant-keys.js";
import { TokenVerifier } from "../../control-plane/auth/token-verifier.js";
import { UnauthenticatedError } from "../../control-plane/errors/domain-errors.js";
import { eventually } from "../support/eventually.js";
import { accessClaims, signClaims } from "../support/tokens.js";

/** Tenants whose keys a test may rotate or withdraw, as a Tenants API would after a reload. */
class ChangingTenantKeys implements TenantKeySource {
  readonly tenants = new Map<string, TenantTrust>();

  async trustOf(tenantId: string): Promise<TenantTrust | null> {
    return this.tenants.get(tenantId) ?? null;
  }

  async refresh(): Promise<void> {}

  async trust(tenantId: string, publicKey: CryptoKey): Promise<void> {
    const issuer = issuerOf(tenantId);
    this.tenants.set(tenantId, { key: await importSPKI(await exportSPKI(publicKey), "RS256"), issuer: () => issuer });
  }
}

const issuerOf = (tenantId: string) => `https://${tenantId}.tapis.example/v3/tokens`;

/**
 * A token verified once may be checked again on every later call: whatever
 * the verifier keeps between calls must never let through a token that a
 * fresh verification would refuse.
 */
describe("token verifier, a token presented again", () => {
  let keys: ChangingTenantKeys;
  let devKeys: GenerateKeyPairResult;
  let otherKeys: GenerateKeyPairResult;

  before(async () => {
    devKeys = await generateKeyPair("RS256");
    otherKeys = await generateKeyPair("RS256");
  });

  beforeEach(async () => {
    keys = new ChangingTenantKeys();
    await keys.trust("dev", devKeys.publicKey);
    await keys.trust("other", otherKeys.publicKey);
  });

  const tokenOf = (tenantId: string, key: CryptoKey, username: string, overrides = {}) =>
    signClaims(key, accessClaims(tenantId, username, issuerOf(tenantId), overrides));

  const refusal = async (verifier: TokenVerifier, token: string): Promise<string> => {
    try {
      await verifier.verify(token);
    } catch (error) {
      assert.ok(error instanceof UnauthenticatedError, String(error));
      return error.message;
    }
    assert.fail("the token was accepted");
  };

  it("refusesATokenVerifiedBeforeOnceItHasExpired", async () => {
    // No clock tolerance: the token is expired as soon as its exp has passed.
    const verifier = new TokenVerifier(keys, 0);
    const exp = Math.floor(Date.now() / 1000) + 1;
    const token = await tokenOf("dev", devKeys.privateKey, "alice", { exp });
    assert.equal((await verifier.verify(token)).username, "alice");
    assert.equal((await verifier.verify(token)).username, "alice");
    await eventually("the token's exp to pass", async () => Date.now() / 1000 > exp + 0.1, 5_000);
    assert.match(await refusal(verifier, token), /expired/);
  });

  it("refusesATokenVerifiedBeforeOnceItsTenantsKeyHasRotated", async () => {
    const verifier = new TokenVerifier(keys);
    const token = await tokenOf("dev", devKeys.privateKey, "alice");
    assert.equal((await verifier.verify(token)).tenantId, "dev");
    await keys.trust("dev", (await generateKeyPair("RS256")).publicKey);
    assert.match(await refusal(verifier, token), /signature/);
  });

  it("refusesATokenVerifiedBeforeOnceItsTenantIsNoLongerTrusted", async () => {
    const verifier = new TokenVerifier(keys);
    const token = await tokenOf("other", otherKeys.privateKey, "alice");
    assert.equal((await verifier.verify(token)).tenantId, "other");
    keys.tenants.delete("other");
    assert.match(await refusal(verifier, token), /unknown tenant 'other'/);
  });

  it("refusesATokenVerifiedBeforeOnceItsTenantsIssuerHasChanged", async () => {
    const verifier = new TokenVerifier(keys);
    const token = await tokenOf("dev", devKeys.privateKey, "alice");
    await verifier.verify(token);
    keys.tenants.set("dev", { ...keys.tenants.get("dev")!, issuer: () => "https://moved.tapis.example/v3/tokens" });
    assert.match(await refusal(verifier, token), /iss/);
  });

  it("givesEachTokenItsOwnTenantAndUser", async () => {
    const verifier = new TokenVerifier(keys);
    const dev = await tokenOf("dev", devKeys.privateKey, "alice");
    const other = await tokenOf("other", otherKeys.privateKey, "alice");
    for (let round = 0; round < 2; round++) {
      assert.deepEqual(await verifier.verify(dev), { tenantId: "dev", username: "alice", accountType: "user" });
      assert.deepEqual(await verifier.verify(other), { tenantId: "other", username: "alice", accountType: "user" });
    }
  });

  it("refusesATokenOfAnotherTenantCarryingTheSignatureOfOneVerifiedBefore", async () => {
    const verifier = new TokenVerifier(keys);
    const genuine = await tokenOf("dev", devKeys.privateKey, "alice");
    await verifier.verify(genuine);
    // Same header and signature, claims rewritten to name another tenant and user.
    const [header, , signature] = genuine.split(".");
    const claims = Buffer.from(JSON.stringify(accessClaims("other", "mallory", issuerOf("other")))).toString("base64url");
    assert.match(await refusal(verifier, `${header}.${claims}.${signature}`), /signature/);
    // Another token of the same user with the genuine one's signature is no better.
    const twin = Buffer.from(JSON.stringify(accessClaims("dev", "alice", issuerOf("dev")))).toString("base64url");
    assert.match(await refusal(verifier, `${header}.${twin}.${signature}`), /signature/);
  });
});
