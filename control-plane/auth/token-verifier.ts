import { decodeJwt, errors, jwtVerify } from "jose";
import { UnauthenticatedError } from "../errors/domain-errors.js";
import type { TenantKeySource } from "./tenant-keys.js";

/** The claims of a verified Tapis access token that the service uses. */
export interface TokenIdentity {
  tenantId: string;
  username: string;
  accountType: "user" | "service";
}

/**
 * Verifies Tapis access tokens: RS256 only, signed by the key of the tenant
 * named in `tapis/tenant_id`, unexpired (with `clockToleranceSeconds` of
 * skew), of token type "access".
 */
export class TokenVerifier {
  constructor(
    private readonly keys: TenantKeySource,
    private readonly clockToleranceSeconds = 30,
  ) {}

  async verify(token: string): Promise<TokenIdentity> {
    let tenantId: unknown;
    try {
      tenantId = decodeJwt(token)["tapis/tenant_id"];
    } catch {
      throw new UnauthenticatedError("X-Tapis-Token is not a JWT");
    }
    if (typeof tenantId !== "string" || !tenantId) throw new UnauthenticatedError("token has no tapis/tenant_id claim");
    let claims: Record<string, unknown>;
    try {
      claims = await this.verifiedClaims(token, tenantId);
    } catch (error) {
      if (error instanceof UnauthenticatedError) throw error;
      if (error instanceof errors.JWTExpired) throw new UnauthenticatedError("token has expired; get a new one");
      if (error instanceof errors.JOSEAlgNotAllowed) throw new UnauthenticatedError("token must be signed with RS256");
      throw new UnauthenticatedError("token signature or claims are invalid");
    }
    const username = claims["tapis/username"];
    const accountType = claims["tapis/account_type"] ?? "user";
    const tokenType = claims["tapis/token_type"] ?? "access";
    if (typeof username !== "string" || !username) throw new UnauthenticatedError("token has no tapis/username claim");
    if (tokenType !== "access") throw new UnauthenticatedError("token is not an access token");
    if (accountType !== "user" && accountType !== "service") throw new UnauthenticatedError("token has an unknown tapis/account_type");
    return { tenantId, username, accountType };
  }

  /** Verifies with the tenant's key; after a bad signature, once more with freshly loaded keys. */
  private async verifiedClaims(token: string, tenantId: string): Promise<Record<string, unknown>> {
    const options = { algorithms: ["RS256"], clockTolerance: this.clockToleranceSeconds, requiredClaims: ["exp"] };
    const key = await this.keys.keyFor(tenantId);
    if (!key) throw new UnauthenticatedError(`unknown tenant '${tenantId}' in token`);
    try {
      return (await jwtVerify(token, key, options)).payload;
    } catch (error) {
      if (!(error instanceof errors.JWSSignatureVerificationFailed) || !this.keys.refresh) throw error;
      await this.keys.refresh();
      const fresh = await this.keys.keyFor(tenantId);
      if (!fresh || fresh === key) throw error;
      return (await jwtVerify(token, fresh, options)).payload;
    }
  }
}
