import { importSPKI, type CryptoKey, type KeyObject } from "jose";
import type { Logger } from "../../shared/logging/logger.js";

export type VerificationKey = CryptoKey | KeyObject;

/** What the service trusts of a tenant: the key that signs its tokens and the issuer they must name. */
export interface TenantTrust {
  key: VerificationKey;
  /** The tenant's token service URL, the `iss` of its tokens (a function: the dev tenant's is known only once bound). */
  issuer: () => string;
}

/** Where tenants' token-signing public keys and issuers come from. */
export interface TenantKeySource {
  /** The key and issuer of `tenantId`'s tokens, or null for an unknown tenant. */
  trustOf(tenantId: string): Promise<TenantTrust | null>;
  /**
   * Asks for fresh keys after a signature did not verify (a tenant may have
   * rotated its key); rate-limited. Sources with fixed keys need not offer it.
   */
  refresh?(): Promise<void>;
}

/** A tenant as configuration gives it: its public key and its token issuer. */
export interface TrustedTenant {
  publicKeyPem: string;
  issuer: string | (() => string);
}

/** Tenants given up front (configuration, or the embedded dev identity). */
export class StaticTenantKeys implements TenantKeySource {
  private readonly tenants = new Map<string, Promise<TenantTrust>>();

  constructor(tenants: Record<string, TrustedTenant>) {
    for (const [tenantId, tenant] of Object.entries(tenants)) {
      const issuer = tenant.issuer;
      this.tenants.set(
        tenantId,
        importSPKI(tenant.publicKeyPem, "RS256").then((key) => ({ key, issuer: typeof issuer === "string" ? () => issuer : issuer })),
      );
    }
  }

  async trustOf(tenantId: string): Promise<TenantTrust | null> {
    return (await this.tenants.get(tenantId)) ?? null;
  }
}

interface TenantsAnswer {
  result?: { tenant_id?: string; public_key?: string; token_service?: string; base_url?: string }[];
}

/** The token service of a tenant at `baseUrl`, which Tapis tokens name as their issuer. */
export function tokenServiceOf(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/v3/tokens`;
}

/** A tenant's token issuer: its token service, else the one at its base URL. */
export function issuerOf(tenant: { token_service?: string; base_url?: string }): string | undefined {
  if (tenant.token_service) return tenant.token_service;
  return tenant.base_url ? tokenServiceOf(tenant.base_url) : undefined;
}

/**
 * Keys and issuers from a Tapis Tenants API (`GET <url>/v3/tenants`, fields
 * public_key and token_service). The list is cached for `maxAgeMs`; an
 * unknown tenant or a failed signature triggers a reload at most once per
 * `minRefreshMs`, so a flood of bad tokens cannot hammer the Tenants API.
 */
export class TenantsApiKeys implements TenantKeySource {
  private tenants = new Map<string, TenantTrust>();
  private lastRefresh = 0;
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly tenantsUrl: string,
    private readonly logger: Logger,
    private readonly timing = { minRefreshMs: 30_000, maxAgeMs: 600_000 },
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async trustOf(tenantId: string): Promise<TenantTrust | null> {
    const age = Date.now() - this.lastRefresh;
    if (age >= this.timing.maxAgeMs || (!this.tenants.has(tenantId) && age >= this.timing.minRefreshMs)) await this.load();
    return this.tenants.get(tenantId) ?? null;
  }

  async refresh(): Promise<void> {
    if (Date.now() - this.lastRefresh >= this.timing.minRefreshMs) await this.load();
  }

  private load(): Promise<void> {
    this.refreshing ??= this.fetchTenants().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async fetchTenants(): Promise<void> {
    this.lastRefresh = Date.now();
    const url = `${this.tenantsUrl.replace(/\/+$/, "")}/v3/tenants`;
    try {
      const response = await this.fetchImpl(url, { signal: AbortSignal.timeout(10_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const answer = (await response.json()) as TenantsAnswer;
      const tenants = new Map<string, TenantTrust>();
      for (const tenant of answer.result ?? []) {
        const issuer = issuerOf(tenant);
        if (!tenant.tenant_id || !tenant.public_key || !issuer) continue;
        tenants.set(tenant.tenant_id, { key: await importSPKI(tenant.public_key, "RS256"), issuer: () => issuer });
      }
      this.tenants = tenants;
    } catch (error) {
      this.logger.warn("could not load tenant keys", { url, error });
    }
  }
}
