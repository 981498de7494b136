import type { Interceptor } from "@connectrpc/connect";
import { metadataNames } from "../../shared/rpc/metadata.js";
import type { AgentCredentials } from "../auth/agent-credentials.js";
import { agentClusterKey, callerKey, type Caller } from "../auth/caller.js";
import { sameSecret } from "../auth/secret-digest.js";
import type { TokenVerifier } from "../auth/token-verifier.js";
import { PermissionDeniedError, UnauthenticatedError } from "../errors/domain-errors.js";
import type { AccessRule } from "./access-rules.js";
import type { LevelName, ObjectKind } from "../storage/entities/permission-entity.js";
import { checkedObjectKey } from "./checked-object.js";

export interface AccessDeps {
  rules: ReadonlyMap<unknown, AccessRule>;
  verifier: TokenVerifier;
  agents: AgentCredentials;
  /** Throws unless the caller holds `need` on the object; may return the level held (see checkedObjectKey). */
  objects: { require(caller: Caller, kind: ObjectKind, id: string, need: LevelName): Promise<LevelName | void> };
  /** Operators, as "username@tenant". */
  serviceAdmins: ReadonlySet<string>;
  /**
   * Tenants whose service accounts may act for users of any tenant (the
   * site's admin tenant). Other service accounts act within their own tenant.
   */
  siteAdminTenants: ReadonlySet<string>;
  /** The secret replicas share; without it, no replica may forward here. */
  replicaToken: string | undefined;
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
      const clusterId = await deps.agents.agentCluster(req.header.get(metadataNames.agentToken) ?? "");
      if (!clusterId) throw new UnauthenticatedError(`agents must present a valid ${metadataNames.agentToken}`);
      req.contextValues.set(agentClusterKey, clusterId);
      return next(req);
    }
    if (rule.kind === "replica") {
      if (!deps.replicaToken || !sameSecret(req.header.get(metadataNames.replicaToken) ?? "", deps.replicaToken)) {
        throw new UnauthenticatedError("only control-plane replicas may forward requests");
      }
      return next(req);
    }
    const caller = await authenticate(req.header, deps);
    req.contextValues.set(callerKey, caller);
    if (rule.kind === "service-admin" && !caller.serviceAdmin) {
      throw new PermissionDeniedError(`only administrators of this service may call ${req.method.name}`);
    }
    if (rule.kind !== "object") return next(req);
    if (!req.stream) {
      const id = rule.idOf(req.message);
      const level = await deps.objects.require(caller, rule.object, id, rule.levelOf(req.message));
      if (level) req.contextValues.set(checkedObjectKey, { kind: rule.object, id, level });
      return next(req);
    }
    // Streaming calls name their object in the first message: check it before
    // the handler (or any later message) sees anything.
    return next({ ...req, message: checkedStream(req.message, async (first) => void (await deps.objects.require(caller, rule.object, rule.idOf(first), rule.levelOf(first)))) });
  };
}

async function* checkedStream<T>(messages: AsyncIterable<T>, check: (first: T) => Promise<void>): AsyncIterable<T> {
  let checked = false;
  for await (const message of messages) {
    if (!checked) {
      await check(message);
      checked = true;
    }
    yield message;
  }
}

async function authenticate(header: Headers, deps: AccessDeps): Promise<Caller> {
  const token = header.get(metadataNames.tapisToken);
  if (!token) throw new UnauthenticatedError("X-Tapis-Token header is required");
  const identity = await deps.verifier.verify(token);
  // Operator status belongs to the token's own identity, never to one named in headers.
  const serviceAdmin = deps.serviceAdmins.has(`${identity.username}@${identity.tenantId}`);
  if (identity.accountType !== "service") return { ...identity, serviceAdmin };
  // A Tapis service acts for the user (and tenant) it names in headers.
  const tenantId = header.get(metadataNames.tapisTenant) || identity.tenantId;
  if (tenantId !== identity.tenantId && !deps.siteAdminTenants.has(identity.tenantId)) {
    throw new PermissionDeniedError(`service '${identity.username}' of tenant '${identity.tenantId}' may not act in tenant '${tenantId}'`);
  }
  const username = header.get(metadataNames.tapisUser) || identity.username;
  return { tenantId, username, accountType: "service", serviceAdmin: serviceAdmin && username === identity.username };
}
