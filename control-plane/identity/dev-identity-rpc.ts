import type { ServiceImpl } from "@connectrpc/connect";
import { DevIdentityService } from "../../gen/tapis/identity/v1/dev_identity_service_pb.js";
import { sameSecret } from "../auth/secret-digest.js";
import { tokenServiceOf } from "../auth/tenant-keys.js";
import { InvalidArgumentError, NotFoundError, UnauthenticatedError } from "../errors/domain-errors.js";
import { envelopeAnswer, htmlAnswer, redirectAnswer } from "../server/http-answer.js";
import { AuthorizationCodes } from "./authorization-codes.js";
import type { DevUsers } from "./dev-users.js";
import { loginPage, type AuthorizationRequest } from "./login-page.js";
import type { IssuedToken, TokenIssuer } from "./token-issuer.js";

export interface DevIdentityConfig {
  tenantId: string;
  siteId: string;
  /** The public URL clients use; known only once the gateway listens. */
  baseUrl: () => string;
  publicKeyPem: string;
  /** The one OAuth2 client of the tenant: the Pods service's own logins (tapis_auth). */
  client: { clientId: string; clientKey: string };
}

/** Logins return only to a pod's callback, so a code never leaves for another site. */
const callbackPath = /^\/v3\/pods\/[a-z][a-z0-9]*(-[a-z0-9]+)?\/auth\/callback$/;

/**
 * The login endpoints of the embedded dev identity provider, shaped like the
 * Tapis Tenants and Authenticator APIs so that SDKs log in unchanged.
 */
export function devIdentityRpc(config: DevIdentityConfig, users: DevUsers, issuer: TokenIssuer, codes = new AuthorizationCodes()): ServiceImpl<typeof DevIdentityService> {
  const tenant = (base = config.baseUrl().replace(/\/+$/, "")) => ({
    tenantId: config.tenantId,
    baseUrl: base,
    siteId: config.siteId,
    tokenService: tokenServiceOf(base),
    securityKernel: `${base}/v3/security`,
    authenticator: `${base}/v3/oauth2`,
    owner: `admin@${config.tenantId}`,
    adminUser: "admin",
    tokenGenServices: [],
    publicKey: config.publicKeyPem,
    description: "Embedded development tenant",
    status: "active",
  });
  const site = (base = config.baseUrl().replace(/\/+$/, "")) => ({
    siteId: config.siteId,
    baseUrl: base,
    primary: true,
    services: ["pods"],
    tenantBaseUrlTemplate: base,
    siteAdminTenantId: config.tenantId,
  });
  return {
    async listTenants() {
      return { message: "Tenants retrieved successfully.", result: [tenant()] };
    },
    async getTenant(req) {
      if (req.tenantId !== config.tenantId) throw new NotFoundError("tenant", req.tenantId);
      return { message: "Tenant retrieved successfully.", result: tenant() };
    },
    async listSites() {
      return { message: "Sites retrieved successfully.", result: [site()] };
    },
    async getSite(req) {
      if (req.siteId !== config.siteId) throw new NotFoundError("site", req.siteId);
      return { message: "Site retrieved successfully.", result: site() };
    },
    async getAuthorizePage(req) {
      const request = { clientId: req.clientId, redirectUri: req.redirectUri, responseType: req.responseType, state: req.state };
      const problem = requestProblem(config, request);
      if (problem) return { message: problem, answer: envelopeAnswer(400, problem) };
      return { message: "Log in.", answer: htmlAnswer(200, loginPage(config.tenantId, request)) };
    },
    async authorize(req) {
      const request = { clientId: req.clientId, redirectUri: req.redirectUri, responseType: req.responseType, state: req.state };
      const problem = requestProblem(config, request);
      if (problem) return { message: problem, answer: envelopeAnswer(400, problem) };
      if (!req.username || !users.check(req.username, req.password)) {
        return { message: "Invalid username or password.", answer: htmlAnswer(401, loginPage(config.tenantId, request, "Invalid username or password.")) };
      }
      const target = new URL(req.redirectUri);
      target.searchParams.set("code", codes.issue({ username: req.username, clientId: req.clientId, redirectUri: req.redirectUri }));
      if (req.state) target.searchParams.set("state", req.state);
      return { message: "Logged in.", answer: redirectAnswer(target.toString()) };
    },
    async getProfile(req) {
      // The dev identity knows its users by name only: email and name stay empty, as the Authenticator allows.
      if (!users.usernames.includes(req.username)) throw new NotFoundError("profile", req.username);
      return { message: "Profile retrieved successfully.", result: { username: req.username, email: "", name: "" } };
    },
    async createToken(req) {
      let username: string;
      if (req.grantType === "password") {
        if (!req.username) throw new InvalidArgumentError("username", "is required for the password grant");
        if (!users.check(req.username, req.password)) throw new UnauthenticatedError("invalid username or password");
        username = req.username;
      } else if (req.grantType === "refresh_token") {
        const holder = await issuer.usernameOfRefreshToken(req.refreshToken);
        if (!holder) throw new UnauthenticatedError("refresh_token is invalid or expired");
        username = holder;
      } else if (req.grantType === "authorization_code") {
        if (!req.code) throw new InvalidArgumentError("code", "is required for the authorization_code grant");
        if (req.clientId !== config.client.clientId || !sameSecret(req.clientKey, config.client.clientKey)) {
          throw new UnauthenticatedError("client_id or client_key is wrong");
        }
        const grant = codes.take(req.code);
        if (!grant || grant.clientId !== req.clientId || grant.redirectUri !== req.redirectUri) {
          throw new UnauthenticatedError("code is invalid, used or expired, or was issued for another redirect_uri");
        }
        username = grant.username;
      } else {
        throw new InvalidArgumentError("grant_type", "must be password, refresh_token or authorization_code");
      }
      const access = await issuer.access(username, req.grantType);
      const refresh = await issuer.refresh(username);
      return {
        message: "Token created successfully.",
        result: {
          accessToken: { accessToken: access.token, ...expiry(access) },
          refreshToken: { refreshToken: refresh.token, ...expiry(refresh) },
        },
      };
    },
  };
}

/** Why an authorization request cannot be served, or null. */
function requestProblem(config: DevIdentityConfig, request: AuthorizationRequest): string | null {
  if (request.clientId !== config.client.clientId) return `client_id: unknown client '${request.clientId.slice(0, 64)}'`;
  if (request.responseType !== "code") return "response_type: must be code";
  if (request.state.length > 4096) return "state: must be at most 4096 characters";
  let target: URL;
  try {
    target = new URL(request.redirectUri);
  } catch {
    return "redirect_uri: must be the login callback of a pod (https://<pod host>/v3/pods/<pod>/auth/callback)";
  }
  const callback = (target.protocol === "https:" || target.protocol === "http:") && !target.username && !target.hash && callbackPath.test(target.pathname);
  return callback ? null : "redirect_uri: must be the login callback of a pod (https://<pod host>/v3/pods/<pod>/auth/callback)";
}

function expiry(token: IssuedToken) {
  return { expiresAt: token.expiresAt.toISOString(), expiresIn: token.expiresIn, jti: token.jti };
}
