import { randomBytes } from "node:crypto";

/** What an authorization code stands for. */
export interface CodeGrant {
  username: string;
  clientId: string;
  redirectUri: string;
}

/**
 * One-time authorization codes of the dev identity provider, kept in memory
 * (it runs in one process) for `ttlMs`. A code is given up on first use,
 * whether the exchange then succeeds or not.
 */
export class AuthorizationCodes {
  private readonly codes = new Map<string, CodeGrant & { expiresAt: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly ttlMs = 60_000,
  ) {}

  issue(grant: CodeGrant): string {
    this.sweep();
    const code = randomBytes(32).toString("base64url");
    this.codes.set(code, { ...grant, expiresAt: this.now() + this.ttlMs });
    return code;
  }

  /** The grant of a live code, which is used up; undefined for an unknown, used or expired one. */
  take(code: string): CodeGrant | undefined {
    const grant = this.codes.get(code);
    this.codes.delete(code);
    if (!grant || grant.expiresAt < this.now()) return undefined;
    return { username: grant.username, clientId: grant.clientId, redirectUri: grant.redirectUri };
  }

  private sweep(): void {
    const now = this.now();
    for (const [code, grant] of this.codes) if (grant.expiresAt < now) this.codes.delete(code);
  }
}
