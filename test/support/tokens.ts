import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportSPKI, generateKeyPair, importPKCS8, SignJWT, type CryptoKey } from "jose";

export type Claims = Record<string, unknown>;

/**
 * The claims of a well-formed Tapis access token, as the Tapis Tokens API
 * issues them; `overrides` replace or (with undefined) remove claims.
 */
export function accessClaims(tenantId: string, username: string, issuer: string, overrides: Claims = {}): Claims {
  const now = Math.floor(Date.now() / 1000);
  const claims: Claims = {
    jti: randomUUID(),
    iss: issuer,
    sub: `${username}@${tenantId}`,
    iat: now,
    exp: now + 3600,
    "tapis/tenant_id": tenantId,
    "tapis/token_type": "access",
    "tapis/delegation": false,
    "tapis/delegation_sub": null,
    "tapis/username": username,
    "tapis/account_type": "user",
    ...overrides,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return claims;
}

/** Signs `claims` as they are (no defaults added), RS256 unless told otherwise. */
export function signClaims(key: CryptoKey | Uint8Array, claims: Claims, alg = "RS256"): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: "JWT" }).sign(key);
}

/** An unsigned token (alg "none"). */
export function unsignedToken(claims: Claims): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${encode({ alg: "none", typ: "JWT" })}.${encode(claims)}.`;
}

/** The embedded dev tenant's private signing key, from the service's data folder. */
export async function devSigningKey(dataDir: string): Promise<CryptoKey> {
  return importPKCS8(await readFile(join(dataDir, "identity", "signing-key.pem"), "utf8"), "RS256");
}

/** A tenant besides the dev one, whose key and issuer the service trusts through PODS_TENANT_KEYS_FILE. */
export interface TrustedTenant {
  tenantId: string;
  issuer: string;
  privateKey: CryptoKey;
  /** The file to name in PODS_TENANT_KEYS_FILE. */
  keysFile: string;
  /** A well-formed access token of `username` (claims overridden by `overrides`). */
  token(username: string, overrides?: Claims): Promise<string>;
}

/** Makes a tenant's key pair and writes the keys file that trusts it. */
export async function trustedTenant(tenantId = "other"): Promise<TrustedTenant> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const issuer = `https://${tenantId}.tapis.example/v3/tokens`;
  const keysFile = join(await mkdtemp(join(tmpdir(), "pods-tenant-keys-")), "tenant-keys.json");
  await writeFile(keysFile, JSON.stringify({ [tenantId]: { public_key: await exportSPKI(publicKey), token_service: issuer } }));
  return { tenantId, issuer, privateKey, keysFile, token: (username, overrides) => signClaims(privateKey, accessClaims(tenantId, username, issuer, overrides)) };
}
