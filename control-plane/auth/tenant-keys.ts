import { importSPKI, type CryptoKey, type KeyObject } from "jose";
import type { Logger } from "../../shared/logging/logger.js";

export type VerificationKey = CryptoKey | KeyObject;

/** Where tenants' token-signing public keys come from. */
export interface TenantKeySource {
  /** The key that verifies `tenantId`'s tokens, or null for an unknown tenant. */
  keyFor(tenantId: string): Promise<VerificationKey | null>;
}

/** Keys given up front (configuration, or the embedded dev identity). */
export class StaticTenantKeys implements TenantKeySource {
  private readonly keys = new Map<string, Promise<VerificationKey>>();

  constructor(publicKeyPems: Record<string, string>) {
    for (const [tenantId, pem] of Object.entries(publicKeyPems)) this.keys.set(tenantId, importSPKI(pem, "RS256"));
  }

  async keyFor(tenantId: string): Promise<VerificationKey | null> {
    return (await this.keys.get(tenantId)) ?? null;
  }
}

interface TenantsAnswer {
  result?: { tenant_id?: string; public_key?: string }[];
}

/**
 * Keys from a Tapis Tenants API (`GET <url>/v3/tenants`, field public_key).
 * The list is cached; an unknown tenant triggers a refresh at most once per
 * `minRefreshMs`, so a flood of bad tokens cannot hammer the Tenants API.
 */
export class TenantsApiKeys implements TenantKeySource {
  private keys = new Map<string, VerificationKey>();
  private lastRefresh = 0;
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly tenantsUrl: string,
    private readonly logger: Logger,
    private readonly minRefreshMs = 30_000,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async keyFor(tenantId: string): Promise<VerificationKey | null> {
    const known = this.keys.get(tenantId);
    if (known) return known;
    if (Date.now() - this.lastRefresh >= this.minRefreshMs) await this.refresh();
    return this.keys.get(tenantId) ?? null;
  }

  refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async load(): Promise<void> {
    this.lastRefresh = Date.now();
    const url = `${this.tenantsUrl.replace(/\/+$/, "")}/v3/tenants`;
    try {
      const response = await this.fetchImpl(url, { signal: AbortSignal.timeout(10_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const answer = (await response.json()) as TenantsAnswer;
      const keys = new Map<string, VerificationKey>();
      for (const tenant of answer.result ?? []) {
        if (tenant.tenant_id && tenant.public_key) keys.set(tenant.tenant_id, await importSPKI(tenant.public_key, "RS256"));
      }
      this.keys = keys;
    } catch (error) {
      this.logger.warn("could not load tenant keys", { url, error });
    }
  }
}
