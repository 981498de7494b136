import type { Interceptor } from "@connectrpc/connect";
import { metadataNames } from "../../shared/rpc/metadata.js";
import type { AgentCredentials } from "../auth/agent-credentials.js";
import { agentClusterKey, callerKey, type Caller } from "../auth/caller.js";
import type { TokenVerifier } from "../auth/token-verifier.js";
import { PermissionDeniedError, UnauthenticatedError } from "../errors/domain-errors.js";
import type { AccessRule } from "./access-rules.js";
import type { ObjectAccess } from "./object-access.js";

export interface AccessDeps {
  rules: ReadonlyMap<unknown, AccessRule>;
  verifier: TokenVerifier;
  agents: AgentCredentials;
  objects: ObjectAccess;
  /** Operators, as "username@tenant". */
  serviceAdmins: ReadonlySet<string>;
}

/**
 * Authenticates every call and enforces the RPC's access rule before the
 * handler runs. A method without a rule is refused: access is never granted
 * by omission.
 */
export function createAccessInterceptor(deps: AccessDeps): Interceptor {
  return (next) => async (req) => {
    const rule = deps.rules.get(req.method);
    if (!rule) throw new PermissionDeniedError(`no access rule for ${req.method.name}`);
    if (rule.kind === "public") return next(req);
    if (rule.kind === "agent") {
      const clusterId = deps.agents.clusterFor(req.header.get(metadataNames.agentToken) ?? "");
      if (!clusterId) throw new UnauthenticatedError(`agents must present a valid ${metadataNames.agentToken}`);
      req.contextValues.set(agentClusterKey, clusterId);
      return next(req);
    }
    const caller = await authenticate(req.header, deps);
    req.contextValues.set(callerKey, caller);
    if (rule.kind === "service-admin" && !caller.serviceAdmin) {
      throw new PermissionDeniedError(`only administrators of this service may call ${req.method.name}`);
    }
    if (rule.kind === "object" && !req.stream) {
      await deps.objects.require(caller, rule.object, rule.idOf(req.message), rule.level);
    }
    return next(req);
  };
}

async function authenticate(header: Headers, deps: AccessDeps): Promise<Caller> {
  const token = header.get(metadataNames.tapisToken);
  if (!token) throw new UnauthenticatedError("X-Tapis-Token header is required");
  const identity = await deps.verifier.verify(token);
  let { tenantId, username } = identity;
  if (identity.accountType === "service") {
    // A Tapis service acts for the user and tenant it names in headers.
    username = header.get(metadataNames.tapisUser) || username;
    tenantId = header.get(metadataNames.tapisTenant) || tenantId;
  }
  return {
    tenantId,
    username,
    accountType: identity.accountType,
    serviceAdmin: deps.serviceAdmins.has(`${username}@${tenantId}`),
  };
}
