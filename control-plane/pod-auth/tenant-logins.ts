import type { TenantKeySource } from "../auth/tenant-keys.js";
import { UnauthenticatedError, UnavailableError } from "../errors/domain-errors.js";

/** The Pods service's OAuth2 client in a tenant. */
export interface OAuthClient {
  clientId: string;
  clientKey: string;
}

/** Where a tenant's users log in, and the client the service logs them in as. */
export interface TenantLogin {
  authorizeUrl: string;
  tokenUrl: string;
  client: OAuthClient;
}

/**
 * The OAuth2 endpoints of tenants (their Authenticator, beside the token
 * service that issues their tokens: `<base>/v3/oauth2`) and the service's
 * client in each.
 */
export class TenantLogins {
  constructor(
    private readonly tenantKeys: TenantKeySource,
    private readonly clients: () => Record<string, OAuthClient>,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** The tenant's login, or null when the service has no client there or does not know where it logs in. */
  async of(tenantId: string): Promise<TenantLogin | null> {
    const client = this.clients()[tenantId];
    const trust = await this.tenantKeys.trustOf(tenantId);
    if (!client || !trust) return null;
    const issuer = trust.issuer().replace(/\/+$/, "");
    if (!issuer.endsWith("/v3/tokens")) return null;
    const authenticator = `${issuer.slice(0, -"/v3/tokens".length)}/v3/oauth2`;
    return { authorizeUrl: `${authenticator}/authorize`, tokenUrl: `${authenticator}/tokens`, client };
  }

  /** Trades an authorization code for an access token at the tenant's token endpoint. */
  async exchange(login: TenantLogin, code: string, redirectUri: string): Promise<string> {
    let response: Response;
    try {
      response = await this.fetchImpl(login.tokenUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ grant_type: "authorization_code", code, redirect_uri: redirectUri, client_id: login.client.clientId, client_key: login.client.clientKey }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new UnavailableError(`the tenant's token service could not be reached: ${error instanceof Error ? error.message : String(error)}`);
    }
    const answer = (await response.json().catch(() => ({}))) as { message?: string; result?: { access_token?: { access_token?: string } } };
    const token = answer.result?.access_token?.access_token;
    if (!response.ok || !token) throw new UnauthenticatedError(`the tenant's token service refused the login's code: ${String(answer.message ?? response.status).slice(0, 300)}`);
    return token;
  }
}
