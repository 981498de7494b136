import { createHash } from "node:crypto";
import { decodeJwt, errors, jwtVerify } from "jose";
import { UnauthenticatedError } from "../errors/domain-errors.js";
import type { TenantKeySource, TenantTrust, VerificationKey } from "./tenant-keys.js";

/** The claims of a verified Tapis access token that the service uses. */
export interface TokenIdentity {
  tenantId: string;
  username: string;
  accountType: "user" | "service";
}

type Claims = Record<string, unknown>;

/** A token that passed verification: what it proved, until when, and with which of its tenant's keys and issuers. */
interface VerifiedToken {
  identity: TokenIdentity;
  expiresAtMs: number;
  key: VerificationKey;
  issuer: string;
}

/** Most verified tokens remembered at once (a few MB); beyond it the oldest are forgotten first. */
const defaultRemembered = 10_000;

/**
 * Verifies Tapis access tokens: RS256 only, signed by the key of the tenant
 * named in `tapis/tenant_id` and issued by that tenant's token service
 * (`iss`), unexpired and already valid (`nbf`, `iat`) within
 * `clockToleranceSeconds` of skew, of token type "access", with a subject
 * that matches `tapis/username`.
 *
 * Clients send the same token with every call, and a signature check costs
 * more than the rest of a read: a verified token is remembered (by its
 * SHA-256, never the token itself) until its `exp`, and taken again only
 * while its tenant is still trusted with the same key and issuer. Only the
 * token's own claims are remembered; what headers add (a service acting for
 * a user) is decided on every call.
 */
export class TokenVerifier {
  private readonly verified = new Map<string, VerifiedToken>();

  constructor(
    private readonly keys: TenantKeySource,
    private readonly clockToleranceSeconds = 30,
    private readonly remembered = defaultRemembered,
  ) {}

  async verify(token: string): Promise<TokenIdentity> {
    const digest = createHash("sha256").update(token).digest("base64url");
    const known = this.verified.get(digest);
    if (known) {
      if (await this.stillValid(known)) return known.identity;
      this.verified.delete(digest);
    }
    const verified = await this.verifyAnew(token);
    this.remember(digest, verified);
    return verified.identity;
  }

  private async stillValid(known: VerifiedToken): Promise<boolean> {
    if (Date.now() >= known.expiresAtMs) return false;
    const trust = await this.keys.trustOf(known.identity.tenantId);
    return trust !== null && trust.key === known.key && trimSlash(trust.issuer()) === known.issuer;
  }

  private remember(digest: string, verified: VerifiedToken): void {
    if (this.verified.size >= this.remembered) {
      const oldest = this.verified.keys().next();
      if (!oldest.done) this.verified.delete(oldest.value);
    }
    this.verified.set(digest, verified);
  }

  private async verifyAnew(token: string): Promise<VerifiedToken> {
    let tenantId: unknown;
    try {
      tenantId = decodeJwt(token)["tapis/tenant_id"];
    } catch {
      throw new UnauthenticatedError("X-Tapis-Token is not a JWT");
    }
    if (typeof tenantId !== "string" || !tenantId) throw new UnauthenticatedError("token has no tapis/tenant_id claim");
    let verified: { claims: Claims; trust: TenantTrust };
    try {
      verified = await this.verifiedClaims(token, tenantId);
    } catch (error) {
      throw refusal(error);
    }
    const issuer = verified.trust.issuer();
    return {
      identity: this.identityOf(verified.claims, tenantId, issuer),
      // jose required exp and checked it is a number.
      expiresAtMs: (verified.claims.exp as number) * 1000,
      key: verified.trust.key,
      issuer: trimSlash(issuer),
    };
  }

  /** Checks the claims jose leaves to the caller. */
  private identityOf(claims: Claims, tenantId: string, issuer: string): TokenIdentity {
    const iss = claims.iss;
    if (typeof iss !== "string" || !iss) throw new UnauthenticatedError("token has no iss claim");
    if (trimSlash(iss) !== trimSlash(issuer)) {
      throw new UnauthenticatedError(`token iss '${iss}' is not the token service of tenant '${tenantId}'`);
    }
    const iat = claims.iat;
    if (iat !== undefined && (typeof iat !== "number" || iat > Date.now() / 1000 + this.clockToleranceSeconds)) {
      throw new UnauthenticatedError("token iat claim is in the future");
    }
    const tokenType = claims["tapis/token_type"];
    if (tokenType !== "access") {
      throw new UnauthenticatedError(tokenType === undefined ? "token has no tapis/token_type claim" : "token tapis/token_type must be access");
    }
    const username = claims["tapis/username"];
    if (typeof username !== "string" || !username) throw new UnauthenticatedError("token has no tapis/username claim");
    const sub = claims.sub;
    if (typeof sub !== "string" || !sub) throw new UnauthenticatedError("token has no sub claim");
    if (sub !== `${username}@${tenantId}`) throw new UnauthenticatedError("token sub claim does not match tapis/username@tapis/tenant_id");
    const accountType = claims["tapis/account_type"] ?? "user";
    if (accountType !== "user" && accountType !== "service") throw new UnauthenticatedError("token has an unknown tapis/account_type");
    return { tenantId, username, accountType };
  }

  /** Verifies with the tenant's key; after a bad signature, once more with freshly loaded keys. */
  private async verifiedClaims(token: string, tenantId: string): Promise<{ claims: Claims; trust: TenantTrust }> {
    const options = { algorithms: ["RS256"], clockTolerance: this.clockToleranceSeconds, requiredClaims: ["exp"] };
    const trust = await this.keys.trustOf(tenantId);
    if (!trust) throw new UnauthenticatedError(`unknown tenant '${tenantId}' in token`);
    try {
      return { claims: (await jwtVerify(token, trust.key, options)).payload, trust };
    } catch (error) {
      if (!(error instanceof errors.JWSSignatureVerificationFailed) || !this.keys.refresh) throw error;
      await this.keys.refresh();
      const fresh = await this.keys.trustOf(tenantId);
      if (!fresh || fresh.key === trust.key) throw error;
      return { claims: (await jwtVerify(token, fresh.key, options)).payload, trust: fresh };
    }
  }
}

/** What a failed verification tells the caller: which rule the token broke, never more. */
function refusal(error: unknown): UnauthenticatedError {
  if (error instanceof UnauthenticatedError) return error;
  if (error instanceof errors.JWTExpired) return new UnauthenticatedError("token has expired; get a new one");
  if (error instanceof errors.JOSEAlgNotAllowed) return new UnauthenticatedError("token must be signed with RS256");
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new UnauthenticatedError(error.reason === "missing" ? `token has no ${error.claim} claim` : `token ${error.claim} claim is not valid now`);
  }
  return new UnauthenticatedError("token signature or claims are invalid");
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}
