import { decodeJwt } from "jose";
import type { TokenIdentity, TokenVerifier } from "../auth/token-verifier.js";
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, PermissionDeniedError, UnauthenticatedError } from "../errors/domain-errors.js";
import { podHost, podHostLabel } from "../edge/pod-hosts.js";
import { networkingWithDefaults, podDefaults } from "../pods/pod-model.js";
import type { Database } from "../storage/database.js";
import { permissionRepository } from "../storage/permission-repository.js";
import { podRepository } from "../storage/pod-repository.js";
import { derivePodFields } from "../templates/template-resolver.js";
import { isAllowedUser, templatedHeaders } from "./allowed-users.js";
import { loginCookie, loginSeconds, parseCookies, sessionCookie, setCookie, type PodSessions } from "./pod-sessions.js";
import type { TenantLogins } from "./tenant-logins.js";

/** What the proxy tells about the request it asks for (headers it passes on). */
export interface ForwardedRequest {
  cookie?: string;
  accept?: string;
  /** The X-Tapis-Token header of the client. */
  token?: string;
  /** X-Forwarded-Host: the host (and port) the client asked for. */
  host?: string;
  proto?: string;
  /** X-Pods-Redirect-Status: a proxy that cannot pass a redirect on asks for 401 with Location instead. */
  redirectStatus?: string;
}

/** The answer to a forward-auth question or a login's return. */
export type AuthVerdict =
  | { kind: "allow"; username: string; headers: Record<string, string> }
  | { kind: "redirect"; status: number; location: string; cookies: string[] }
  | { kind: "deny"; status: 401 | 403; message: string; cookies: string[] };

export interface PodAuthDeps {
  db: Database;
  verifier: TokenVerifier;
  sessions: PodSessions;
  logins: TenantLogins;
  /** The domain of the pod's URLs: its cluster's, else the site's. */
  domainOf: (clusterId: string) => Promise<string>;
  now: () => number;
}

/** One networking entry with tapis_auth, as checks need it. */
interface GuardedEntry {
  tenantId: string;
  podId: string;
  podIdNet: string;
  siteId: string;
  host: string;
  allowedUsers: string[];
  responseHeaders: Record<string, string>;
  returnPath: string;
}

/**
 * tapis_auth: decides whether a request may reach a pod's entry (the
 * proxy's forward-auth question) and completes browsers' logins. Requests
 * with an X-Tapis-Token are judged by it alone; a browser's session cookie
 * comes from an earlier login; a browser without either is sent to its
 * tenant's OAuth2 login, any other client is refused. The session cookie is
 * set on the pod's own host by the callback, which the proxy routes there.
 */
export class PodAuthService {
  constructor(private readonly deps: PodAuthDeps) {}

  async check(podIdNet: string, tenantId: string, request: ForwardedRequest): Promise<AuthVerdict> {
    if (!tenantId) throw new InvalidArgumentError("tenant_id", "is required: the edge names the pod's tenant in the forward-auth address");
    const entry = await this.entry(tenantId, podIdNet);
    const asked = request.host?.toLowerCase();
    if (asked && hostname(asked) !== entry.host) {
      return deny(403, `X-Forwarded-Host: '${asked}' is not the host of '${podIdNet}' (${entry.host})`);
    }
    let identity: Pick<TokenIdentity, "tenantId" | "username">;
    if (request.token) {
      try {
        identity = await this.deps.verifier.verify(request.token);
      } catch (error) {
        return deny(401, `X-Tapis-Token: ${error instanceof Error ? error.message : String(error)}`);
      }
    } else {
      const sealed = parseCookies(request.cookie).get(sessionCookie);
      const session = sealed ? this.deps.sessions.open(sealed, tenantId, entry.podIdNet) : null;
      if (!session) return browser(request) ? this.startLogin(entry, request) : deny(401, "an X-Tapis-Token header or a login is required");
      identity = { tenantId, username: session.username };
    }
    return this.judge(entry, identity);
  }

  /** The end of a login: trades the code for a token, and the browser gets a session cookie for the entry. */
  async callback(podIdNet: string, code: string, state: string, cookie: string | undefined): Promise<AuthVerdict> {
    if (!code) throw new InvalidArgumentError("code", "is required");
    if (!state) throw new InvalidArgumentError("state", "is required");
    const clearLogin = setCookie(loginCookie, "", callbackPath(podIdNet), 0);
    const login = this.deps.sessions.finishLogin(state, podIdNet, parseCookies(cookie).get(loginCookie));
    if (typeof login === "string") throw new InvalidArgumentError("state", login);
    const entry = await this.entry(login.tenantId, podIdNet);
    const tenantLogin = await this.deps.logins.of(login.tenantId);
    if (!tenantLogin) throw new FailedPreconditionError(`tenant '${login.tenantId}' has no login this service can use`);
    const token = await this.deps.logins.exchange(tenantLogin, code, login.redirectUri);
    const identity = await this.deps.verifier.verify(token);
    const verdict = await this.judge(entry, identity);
    if (verdict.kind !== "allow") return { ...verdict, cookies: [clearLogin] };
    const expiresAt = Math.min(expiryOf(token), Math.floor(this.deps.now() / 1000) + 24 * 3600);
    const session = this.deps.sessions.seal({ tenantId: entry.tenantId, podIdNet: entry.podIdNet, username: identity.username, expiresAt });
    const maxAge = expiresAt - Math.floor(this.deps.now() / 1000);
    // Relative, so the browser stays on the host and port it came through.
    return { kind: "redirect", status: 302, location: entry.returnPath, cookies: [setCookie(sessionCookie, session, "/", maxAge), clearLogin] };
  }

  private async judge(entry: GuardedEntry, identity: Pick<TokenIdentity, "tenantId" | "username">): Promise<AuthVerdict> {
    if (identity.tenantId !== entry.tenantId) return deny(403, `a user of tenant '${identity.tenantId}' may not use a pod of tenant '${entry.tenantId}'`);
    const levelOnPod = () => this.deps.db.read((m) => permissionRepository.levelOf(m, entry.tenantId, "pod", entry.podId, identity.username));
    if (!(await isAllowedUser(identity.username, entry.allowedUsers, levelOnPod))) {
      return deny(403, `user '${identity.username}' may not use pod '${entry.podIdNet}'`);
    }
    const headers = templatedHeaders(entry.responseHeaders, { username: identity.username, tenantId: entry.tenantId, siteId: entry.siteId });
    return { kind: "allow", username: identity.username, headers };
  }

  private async startLogin(entry: GuardedEntry, request: ForwardedRequest): Promise<AuthVerdict> {
    if (!request.host) throw new InvalidArgumentError("X-Forwarded-Host", "the proxy must name the host it was asked for, to bring the browser back there");
    const login = await this.deps.logins.of(entry.tenantId);
    if (!login) return deny(401, `tenant '${entry.tenantId}' has no login this service can use; send an X-Tapis-Token header`);
    const proto = request.proto === "http" ? "http" : "https";
    const redirectUri = `${proto}://${request.host}${callbackPath(entry.podIdNet)}`;
    const { state, nonce } = this.deps.sessions.beginLogin({ tenantId: entry.tenantId, podIdNet: entry.podIdNet, redirectUri });
    const authorize = new URL(login.authorizeUrl);
    authorize.search = new URLSearchParams({ client_id: login.client.clientId, redirect_uri: redirectUri, response_type: "code", state }).toString();
    return {
      kind: "redirect",
      status: request.redirectStatus === "401" ? 401 : 302,
      location: authorize.toString(),
      cookies: [setCookie(loginCookie, nonce, callbackPath(entry.podIdNet), loginSeconds)],
    };
  }

  private async entry(tenantId: string, podIdNet: string): Promise<GuardedEntry> {
    const dash = podIdNet.indexOf("-");
    const podId = dash < 0 ? podIdNet : podIdNet.slice(0, dash);
    const key = dash < 0 ? "default" : podIdNet.slice(dash + 1);
    const { pod, fields } = await this.deps.db.read(async (m) => {
      const pod = await podRepository.find(m, tenantId, podId);
      if (!pod) throw new NotFoundError("pod", podId);
      return { pod, fields: await derivePodFields(m, tenantId, pod.fields, pod.templateVersion) };
    });
    const given = (fields.networking ?? podDefaults.networking)[key];
    if (!given) throw new MissingEntryError(podId, key);
    const spec = networkingWithDefaults(given);
    if (!spec.tapis_auth) throw new PermissionDeniedError(`networking entry '${key}' of pod '${podId}' has no tapis_auth, so its proxy lets no one through by it`);
    return {
      tenantId,
      podId,
      podIdNet: podHostLabel(podId, key),
      siteId: pod.siteId,
      host: podHost(podId, key, tenantId, await this.deps.domainOf(pod.clusterId)),
      allowedUsers: spec.tapis_auth_allowed_users,
      responseHeaders: spec.tapis_auth_response_headers,
      returnPath: spec.tapis_auth_return_path,
    };
  }
}

/** The pod exists but has no such networking entry. */
class MissingEntryError extends NotFoundError {
  constructor(podId: string, key: string) {
    super("networking entry", key);
    this.message = `pod '${podId}' has no networking entry '${key}'`;
  }
}

function deny(status: 401 | 403, message: string): AuthVerdict {
  return { kind: "deny", status, message, cookies: [] };
}

function browser(request: ForwardedRequest): boolean {
  return (request.accept ?? "").toLowerCase().includes("text/html");
}

function callbackPath(podIdNet: string): string {
  return `/v3/pods/${podIdNet}/auth/callback`;
}

function hostname(host: string): string {
  return host.replace(/:[0-9]+$/, "");
}

function expiryOf(token: string): number {
  const exp = decodeJwt(token).exp;
  if (typeof exp !== "number") throw new UnauthenticatedError("the token has no exp claim");
  return exp;
}
