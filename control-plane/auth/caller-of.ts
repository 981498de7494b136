import type { HandlerContext } from "@connectrpc/connect";
import { UnauthenticatedError } from "../errors/domain-errors.js";
import { agentClusterKey, callerKey, type Caller } from "./caller.js";

/** The authenticated user of a call; the access interceptor has set it. */
export function callerOf(ctx: HandlerContext): Caller {
  const caller = ctx.values.get(callerKey);
  if (!caller) throw new UnauthenticatedError("X-Tapis-Token header is required");
  return caller;
}

/** The cluster of an authenticated agent. */
export function agentClusterOf(ctx: HandlerContext): string {
  const clusterId = ctx.values.get(agentClusterKey);
  if (!clusterId) throw new UnauthenticatedError("agent credentials are required");
  return clusterId;
}
