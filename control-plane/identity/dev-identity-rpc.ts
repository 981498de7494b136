import type { ServiceImpl } from "@connectrpc/connect";
import { DevIdentityService } from "../../gen/tapis/identity/v1/dev_identity_service_pb.js";
import { tokenServiceOf } from "../auth/tenant-keys.js";
import { InvalidArgumentError, NotFoundError, UnauthenticatedError } from "../errors/domain-errors.js";
import type { DevUsers } from "./dev-users.js";
import type { IssuedToken, TokenIssuer } from "./token-issuer.js";

export interface DevIdentityConfig {
  tenantId: string;
  siteId: string;
  /** The public URL clients use; known only once the gateway listens. */
  baseUrl: () => string;
  publicKeyPem: string;
}

/**
 * The login endpoints of the embedded dev identity provider, shaped like the
 * Tapis Tenants and Authenticator APIs so that SDKs log in unchanged.
 */
export function devIdentityRpc(config: DevIdentityConfig, users: DevUsers, issuer: TokenIssuer): ServiceImpl<typeof DevIdentityService> {
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
      } else {
        throw new InvalidArgumentError("grant_type", "must be password or refresh_token");
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

function expiry(token: IssuedToken) {
  return { expiresAt: token.expiresAt.toISOString(), expiresIn: token.expiresIn, jti: token.jti };
}
