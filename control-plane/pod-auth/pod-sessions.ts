import { createHash, randomBytes } from "node:crypto";
import type { FieldCipher } from "../crypto/field-cipher.js";
import { EncryptedValueError } from "../crypto/field-cipher.js";

/** A browser's login to one networking entry of one pod. */
export interface PodSession {
  tenantId: string;
  podIdNet: string;
  username: string;
  /** Epoch seconds; the session ends with the token it came from. */
  expiresAt: number;
}

/** A login under way: what the callback needs, bound to the browser that began it. */
export interface LoginState {
  tenantId: string;
  podIdNet: string;
  redirectUri: string;
  expiresAt: number;
}

export const sessionCookie = "tapis_pods_session";
export const loginCookie = "tapis_pods_login";
/** Seconds a login may take from the redirect to the callback. */
export const loginSeconds = 600;

/**
 * Seals sessions and login states with the service's encryption keys
 * (AES-256-GCM, see FieldCipher), bound to the pod entry they are for: a
 * session opens only the entry it was made for, cannot be read or altered
 * by the browser holding it, and is no Tapis token, so the pod it is sent to
 * gains nothing it could use elsewhere. Replicas sharing the keys read each
 * other's sessions.
 */
export class PodSessions {
  constructor(
    private readonly cipher: FieldCipher,
    private readonly now: () => number,
  ) {}

  seal(session: PodSession): string {
    const payload = JSON.stringify({ u: session.username, e: session.expiresAt });
    return this.cipher.encrypt(payload, sessionPlace(session.tenantId, session.podIdNet));
  }

  /** The session `value` holds for this entry, or null (not one, another entry's, expired). */
  open(value: string, tenantId: string, podIdNet: string): PodSession | null {
    const payload = this.decrypt(value, sessionPlace(tenantId, podIdNet)) as { u?: unknown; e?: unknown } | null;
    if (!payload || typeof payload.u !== "string" || typeof payload.e !== "number") return null;
    if (payload.e <= this.now() / 1000) return null;
    return { tenantId, podIdNet, username: payload.u, expiresAt: payload.e };
  }

  /** A new login: the state for the authorize URL and the nonce for the browser's cookie. */
  beginLogin(login: Omit<LoginState, "expiresAt">): { state: string; nonce: string } {
    const nonce = randomBytes(24).toString("base64url");
    const payload = JSON.stringify({ t: login.tenantId, r: login.redirectUri, n: digest(nonce), e: Math.floor(this.now() / 1000) + loginSeconds });
    return { state: this.cipher.encrypt(payload, loginPlace(login.podIdNet)), nonce };
  }

  /** The login `state` began, when it is this entry's, unexpired, and `nonce` is the browser's; else why not. */
  finishLogin(state: string, podIdNet: string, nonce: string | undefined): LoginState | string {
    const payload = this.decrypt(state, loginPlace(podIdNet)) as { t?: unknown; r?: unknown; n?: unknown; e?: unknown } | null;
    if (!payload || typeof payload.t !== "string" || typeof payload.r !== "string" || typeof payload.e !== "number") {
      return "is not a login this service began for this pod";
    }
    if (payload.e <= this.now() / 1000) return "the login took too long; start again";
    if (!nonce || payload.n !== digest(nonce)) return "the login did not start in this browser";
    return { tenantId: payload.t, podIdNet, redirectUri: payload.r, expiresAt: payload.e };
  }

  private decrypt(value: string, place: { table: string; column: string; row: string[] }): unknown {
    try {
      return JSON.parse(this.cipher.decrypt(value, place));
    } catch (error) {
      if (error instanceof EncryptedValueError || error instanceof SyntaxError) return null;
      throw error;
    }
  }
}

function sessionPlace(tenantId: string, podIdNet: string) {
  return { table: "pod_auth", column: "session", row: [tenantId, podIdNet] };
}

function loginPlace(podIdNet: string) {
  return { table: "pod_auth", column: "login", row: [podIdNet] };
}

function digest(nonce: string): string {
  return createHash("sha256").update(nonce).digest("base64url");
}

/** The cookies of a Cookie header, by name (the first of a repeated name). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at <= 0) continue;
    const name = part.slice(0, at).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(at + 1).trim());
  }
  return cookies;
}

/** A Set-Cookie value: host-only, HttpOnly, Secure, SameSite=Lax (sent on the top-level navigation back from the login). */
export function setCookie(name: string, value: string, path: string, maxAgeSeconds: number): string {
  return `${name}=${value}; Path=${path}; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; HttpOnly; Secure; SameSite=Lax`;
}
