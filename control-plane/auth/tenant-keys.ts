import { importSPKI, type CryptoKey, type KeyObject } from "jose";
import type { Logger } from "../../shared/logging/logger.js";

export type VerificationKey = CryptoKey | KeyObject;

/** Where tenants' token-signing public keys come from. */
export interface TenantKeySource {
  /** The key that verifies `tenantId`'s tokens, or null for an unknown tenant. */
  keyFor(tenantId: string): Promise<VerificationKey | null>;
  /**
   * Asks for fresh keys after a signature did not verify (a tenant may have
   * rotated its key); rate-limited. Sources with fixed keys need not offer it.
   */
  refresh?(): Promise<void>;
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
 * The list is cached for `maxAgeMs`; an unknown tenant or a failed signature
 * triggers a reload at most once per `minRefreshMs`, so a flood of bad tokens
 * cannot hammer the Tenants API.
 */
export class TenantsApiKeys implements TenantKeySource {
  private keys = new Map<string, VerificationKey>();
  private lastRefresh = 0;
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly tenantsUrl: string,
    private readonly logger: Logger,
    private readonly timing = { minRefreshMs: 30_000, maxAgeMs: 600_000 },
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async keyFor(tenantId: string): Promise<VerificationKey | null> {
    const age = Date.now() - this.lastRefresh;
    if (age >= this.timing.maxAgeMs || (!this.keys.has(tenantId) && age >= this.timing.minRefreshMs)) await this.load();
    return this.keys.get(tenantId) ?? null;
  }

  async refresh(): Promise<void> {
    if (Date.now() - this.lastRefresh >= this.timing.minRefreshMs) await this.load();
  }

  private load(): Promise<void> {
    this.refreshing ??= this.fetchKeys().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async fetchKeys(): Promise<void> {
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
