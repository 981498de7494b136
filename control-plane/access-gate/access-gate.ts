import { InvalidArgumentError } from "../errors/domain-errors.js";
import { isReturnPath } from "../edge/networking-rules.js";
import { parseCookies, setCookie } from "../pod-auth/pod-sessions.js";
import { accessTokenRepository, gateAttemptRepository, type GateAuditRepository } from "../storage/access-gate-repository.js";
import type { Database } from "../storage/database.js";
import type { PodAccessTokenRow } from "../storage/entities/access-gate-entities.js";
import { auditOf, shownLabel } from "./access-tokens.js";
import { lockedMessage, refusalMessages, type RefusalReason } from "./gate-page.js";
import { answersOn, gatedSpec, placed, splitPodIdNet, type GatedEntry } from "./gated-entries.js";
import { attemptKeyOf } from "./attempt-key.js";
import { linkHash, matchingPassword, spendOnePasswordCheck } from "./gate-secrets.js";
import { gateCookieName, maxSessionSeconds, type GateSessions } from "./gate-sessions.js";

/** How many failed redemptions a client address may make, at one pod and at all pods, within a window. */
export interface GateLimits {
  maxFailures: number;
  maxFailuresPerAddress: number;
  windowMs: number;
}

export interface AccessGateDeps {
  db: Database;
  sessions: GateSessions;
  audit: GateAuditRepository;
  domainOf: (clusterId: string) => Promise<string>;
  limits: GateLimits;
  now: () => number;
}

/** What the proxy passes on of the visitor's request. */
export interface GateRequest {
  cookie?: string;
  /** X-Forwarded-Host: the pod host the visitor asked for. */
  host?: string;
  /** X-Forwarded-Uri: the path and query the visitor asked for. */
  uri?: string;
  /** X-Pods-Redirect-Status: a proxy that cannot pass a redirect on asks for 401 with Location. */
  redirectStatus?: string;
}

/** A redemption: what the visitor gave and where from. */
export interface Redemption {
  podIdNet: string;
  /** The pod's tenant as the request names it; else that of the pod host in X-Forwarded-Host. */
  tenantId: string;
  host?: string;
  secret: string;
  returnPath?: string;
  /** The visitor's address, as the gateway established it. */
  clientAddress: string;
}

/** The gate's answer: pass (naming the token for the pod), a redirect, or its page (the login form) with a status. */
export type GateVerdict =
  | { kind: "allow"; code: string }
  | { kind: "redirect"; status: number; location: string; cookies: string[] }
  | { kind: "page"; status: 401 | 429; podIdNet: string; returnPath: string; problem?: { text: string; visitorsDoing: boolean }; retryAfterSeconds?: number };

/** The longest secret looked at; anything longer is no secret of this service. */
const maxSecretLength = 1024;
/** Lockouts already audited, remembered up to this many (then forgotten all at once). */
const maxRememberedLockouts = 10_000;
/** Failures past their window are deleted at most this often, apart from any redemption. */
const forgetEveryMs = 60_000;

/**
 * The access gate in front of pods' http entries that set access_gate. It
 * answers the proxy's question for each request (a valid session passes),
 * and redeems secrets into sessions. To a visitor, a pod without a gate (or
 * without such a pod) looks exactly like one with a gate and a wrong code:
 * the same page, the same limit on failures, and as much work per guess.
 */
export class AccessGate {
  /** Each lockout is audited once: by pod and address, the time its oldest failure was made. */
  private readonly auditedLockouts = new Map<string, number>();
  private forgotAt = 0;

  constructor(private readonly deps: AccessGateDeps) {}

  async check(podIdNet: string, tenantId: string, request: GateRequest): Promise<GateVerdict> {
    if (!tenantId) throw new InvalidArgumentError("tenant_id", "is required: the edge names the pod's tenant in the gate's address");
    const now = this.deps.now();
    const entry = await this.entry(tenantId, podIdNet, request.host);
    if (entry) {
      const sealed = parseCookies(request.cookie).get(gateCookieName(entry.podId));
      const session = sealed ? this.deps.sessions.open(sealed, tenantId, entry.podId, Math.floor(now / 1000)) : null;
      const token = session ? await this.deps.db.read((m) => accessTokenRepository.find(m, tenantId, entry.podId, session.tokenId)) : null;
      if (token && refusalOf(token, now) === null) return { kind: "allow", code: headerSafe(shownLabel(token)) };
    }
    const access = accessCodeOf(request.uri);
    if (access) {
      const location = `${redeemPath(podIdNet)}?access=${encodeURIComponent(access)}`;
      return { kind: "redirect", status: request.redirectStatus === "401" ? 401 : 302, location, cookies: [] };
    }
    return { kind: "page", status: 401, podIdNet, returnPath: returnPathOf(request.uri) ?? "/" };
  }

  async redeem(redemption: Redemption): Promise<GateVerdict> {
    const tenantId = redemption.tenantId || tenantOfHost(redemption.host);
    if (!tenantId) throw new InvalidArgumentError("tenant_id", "is required: name the pod's tenant, or redeem on the pod's host");
    const { podIdNet } = redemption;
    // Keys stay within their columns, whatever a visitor sends.
    const podId = splitPodIdNet(podIdNet).podId.slice(0, 64);
    const address = redemption.clientAddress.slice(0, 64) || "unknown";
    const attemptKey = attemptKeyOf(address);
    const now = this.deps.now();
    const windowStart = now - this.deps.limits.windowMs;
    // Counted as a failure before it is checked, so that guesses sent at once all count; taken back if it opens the gate.
    const attempt = await this.deps.db.transaction((tx) => gateAttemptRepository.record(tx, tenantId, podId, attemptKey, now));
    this.forgetOldFailures(now, windowStart);
    const [failures, failuresOfAddress] = await this.deps.db.read(async (m) => [
      await gateAttemptRepository.failuresSince(m, tenantId, podId, attemptKey, windowStart),
      await gateAttemptRepository.failuresOfAddressSince(m, attemptKey, windowStart),
    ] as const);
    const takeBack = () => this.deps.db.transaction((tx) => gateAttemptRepository.takeBack(tx, attempt));
    const entry = await this.entry(tenantId, podIdNet, redemption.host);
    const given = redemption.returnPath && isReturnPath(redemption.returnPath) ? redemption.returnPath : undefined;
    const page = (status: 401 | 429, problem: { text: string; visitorsDoing: boolean }, retryAfterSeconds?: number): GateVerdict => ({
      kind: "page",
      status,
      podIdNet,
      returnPath: given ?? "/",
      problem,
      ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
    });

    if (failures.count > this.deps.limits.maxFailures || failuresOfAddress > this.deps.limits.maxFailuresPerAddress) {
      // Refused unchecked: this attempt does not count, so the lockout ends with the window of those before it.
      await takeBack();
      const waitSeconds = Math.max(1, Math.ceil((failures.oldest! + this.deps.limits.windowMs - now) / 1000));
      if (entry && this.firstRefusalOfLockout(entry, attemptKey, failures.oldest!)) {
        await this.record(entry, now, { action: "locked", tokenId: "", label: "", actor: address, detail: `${failures.count - 1} failed attempts` });
      }
      return page(429, { text: lockedMessage(waitSeconds), visitorsDoing: false }, waitSeconds);
    }

    const found = await this.match(entry, tenantId, podId, redemption.secret);
    const refusal = typeof found === "string" ? found : refusalOf(found, now);
    if (refusal === "empty" || refusal === "not_found") {
      // A guess: it counts against the address (as recorded), whether or not the pod has a gate.
      if (entry) await this.deps.db.transaction((tx) => this.deps.audit.add(tx, { tenantId, podId: entry.podId, at: now, action: "refused", tokenId: "", label: "", actor: address, detail: refusal }));
      return page(401, refusalMessages[refusal]);
    }
    await takeBack();
    const token = found as PodAccessTokenRow;
    if (refusal) {
      // A real code that no longer opens the gate: nothing a guesser learns from, so it does not count.
      await this.deps.db.transaction((tx) => this.deps.audit.add(tx, auditOf(token, now, "refused", address, refusal)));
      return page(401, refusalMessages[refusal]);
    }
    const spent = await this.deps.db.transaction(async (tx) => {
      const current = await accessTokenRepository.findForUpdate(tx, tenantId, token.podId, token.id);
      const late = current ? refusalOf(current, now) : "revoked";
      if (late || (current!.maxUses !== null && current!.uses >= current!.maxUses)) {
        const reason = late ?? "exhausted";
        await this.deps.audit.add(tx, auditOf(token, now, "refused", address, reason));
        return reason;
      }
      await accessTokenRepository.update(tx, token.id, { uses: current!.uses + 1, lastUsedAt: now });
      await this.deps.audit.add(tx, auditOf(token, now, "redeem", address, ""));
      return null;
    });
    if (spent) return page(401, refusalMessages[spent]);

    const nowSeconds = Math.floor(now / 1000);
    const maxAge = Math.min(maxSessionSeconds, token.expiresAt === null ? maxSessionSeconds : Math.round((token.expiresAt - now) / 1000));
    const session = this.deps.sessions.seal(tenantId, token.podId, { tokenId: token.id, expiresAt: nowSeconds + maxAge });
    // Relative, so the browser stays on the pod's host (and port) it came through.
    return { kind: "redirect", status: 302, location: given ?? entry!.returnPath, cookies: [setCookie(gateCookieName(token.podId), session, "/", maxAge)] };
  }

  /** The token `secret` opens at `entry`, or why none does; always as much work as checking a password. */
  private async match(entry: GatedEntry | null, tenantId: string, podId: string, secret: string): Promise<PodAccessTokenRow | RefusalReason> {
    if (!secret || secret.length > maxSecretLength || !entry) {
      await spendOnePasswordCheck(secret.slice(0, maxSecretLength));
      return secret ? "not_found" : "empty";
    }
    const { link, passwords } = await this.deps.db.read(async (m) => ({
      link: await accessTokenRepository.findLink(m, tenantId, podId, linkHash(tenantId, podId, secret)),
      passwords: await accessTokenRepository.passwords(m, tenantId, podId),
    }));
    if (link) return link;
    if (passwords.length === 0) await spendOnePasswordCheck(secret);
    return (await matchingPassword(secret, passwords, (token) => token.passwordHash!)) ?? "not_found";
  }

  /** Deletes failures past their window now and then; a failed cleanup is left to the next one. */
  private forgetOldFailures(now: number, windowStart: number): void {
    if (now - this.forgotAt < forgetEveryMs) return;
    this.forgotAt = now;
    void this.deps.db.transaction((tx) => gateAttemptRepository.forgetBefore(tx, windowStart)).catch(() => undefined);
  }

  /** Whether this refusal is the first of the lockout that began with the failure at `oldest`. */
  private firstRefusalOfLockout(entry: GatedEntry, attemptKey: string, oldest: number): boolean {
    const key = `${entry.tenantId}/${entry.podId}/${attemptKey}`;
    if (this.auditedLockouts.get(key) === oldest) return false;
    if (this.auditedLockouts.size >= maxRememberedLockouts) this.auditedLockouts.clear();
    this.auditedLockouts.set(key, oldest);
    return true;
  }

  /**
   * The gated entry `podIdNet` names, or null: no such pod or entry, no gate
   * on it, or (when the proxy names the host it was asked for) another host.
   * Every such case is one answer to the visitor, so nothing tells them apart.
   */
  private async entry(tenantId: string, podIdNet: string, host: string | undefined): Promise<GatedEntry | null> {
    const spec = await this.deps.db.read((m) => gatedSpec(m, tenantId, podIdNet));
    if (!spec) return null;
    const entry = await placed(spec, this.deps.domainOf);
    return answersOn(entry, host) ? entry : null;
  }

  private async record(entry: GatedEntry, at: number, what: { action: string; tokenId: string; label: string; actor: string; detail: string }): Promise<void> {
    await this.deps.db.transaction((tx) => this.deps.audit.add(tx, { tenantId: entry.tenantId, podId: entry.podId, at, ...what }));
  }
}

/** Why a token no longer opens the gate at `now`, or null when it does (uses are counted at redemption only). */
function refusalOf(token: PodAccessTokenRow, now: number): "revoked" | "expired" | null {
  if (token.revoked) return "revoked";
  if (token.expiresAt !== null && now >= token.expiresAt) return "expired";
  return null;
}

/** The redemption path on the pod's host. */
function redeemPath(podIdNet: string): string {
  return `/v3/pods/${encodeURIComponent(podIdNet)}/gate/redeem`;
}

/** A link's secret in the request the visitor made (?access=). */
function accessCodeOf(uri: string | undefined): string | null {
  if (!uri || !uri.includes("access=")) return null;
  try {
    return new URL(uri, "http://pod").searchParams.get("access") || null;
  } catch {
    return null;
  }
}

/** The path the visitor asked for, to return to after the form; null unless it is a plain path. */
function returnPathOf(uri: string | undefined): string | null {
  const path = uri?.split("?")[0];
  return path && isReturnPath(path) ? path : null;
}

/** The tenant of a pod host: <pod>[-<key>].pods.<tenant>.<domain>. */
function tenantOfHost(host: string | undefined): string {
  const labels = (host ?? "").toLowerCase().replace(/:[0-9]+$/, "").split(".");
  return labels.length >= 4 && labels[1] === "pods" ? labels[2]! : "";
}

/** A label as an HTTP header value can carry it: printable ASCII, at most 80 characters. */
function headerSafe(label: string): string {
  return label.replace(/[^\x20-\x7e]/g, "?").slice(0, 80);
}
