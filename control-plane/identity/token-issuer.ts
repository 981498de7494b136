import { randomUUID } from "node:crypto";
import { tokenServiceOf } from "../auth/tenant-keys.js";
import { SignJWT, jwtVerify, type CryptoKey } from "jose";

export interface IssuedToken {
  token: string;
  jti: string;
  expiresAt: Date;
  expiresIn: number;
}

export interface TokenIssuerOptions {
  tenantId: string;
  /** The tenant's base URL; tokens name `<baseUrl>/v3/tokens` as issuer. */
  baseUrl: () => string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
}

/** Signs Tapis-shaped RS256 tokens for the embedded dev tenant. */
export class TokenIssuer {
  constructor(private readonly options: TokenIssuerOptions) {}

  access(username: string, grantType: string): Promise<IssuedToken> {
    return this.sign(username, "access", this.options.accessTtlSeconds, {
      "tapis/delegation": false,
      "tapis/delegation_sub": null,
      "tapis/account_type": "user",
      "tapis/client_id": null,
      "tapis/grant_type": grantType,
    });
  }

  refresh(username: string): Promise<IssuedToken> {
    return this.sign(username, "refresh", this.options.refreshTtlSeconds, { "tapis/initial_ttl": this.options.accessTtlSeconds });
  }

  /** The username of a valid refresh token of this tenant, or null. */
  async usernameOfRefreshToken(token: string): Promise<string | null> {
    try {
      const { payload } = await jwtVerify(token, this.options.publicKey, { algorithms: ["RS256"], issuer: tokenServiceOf(this.options.baseUrl()) });
      if (payload["tapis/token_type"] !== "refresh" || payload["tapis/tenant_id"] !== this.options.tenantId) return null;
      return typeof payload["tapis/username"] === "string" ? payload["tapis/username"] : null;
    } catch {
      return null;
    }
  }

  private async sign(username: string, tokenType: string, ttlSeconds: number, extra: Record<string, unknown>): Promise<IssuedToken> {
    const jti = randomUUID();
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      "tapis/tenant_id": this.options.tenantId,
      "tapis/token_type": tokenType,
      "tapis/username": username,
      ...extra,
    })
      .setProtectedHeader({ alg: "RS256", typ: "JWT" })
      .setJti(jti)
      .setIssuer(tokenServiceOf(this.options.baseUrl()))
      .setSubject(`${username}@${this.options.tenantId}`)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .sign(this.options.privateKey);
    return { token, jti, expiresAt: new Date((now + ttlSeconds) * 1000), expiresIn: ttlSeconds };
  }
}
