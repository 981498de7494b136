import { createContextKey } from "@connectrpc/connect";

/** Who a request acts for, established by the access interceptor. */
export interface Caller {
  tenantId: string;
  username: string;
  /** "user", or "service" for a Tapis service acting for `username`. */
  accountType: "user" | "service";
  /** An operator of this installation: ADMIN on every object of its tenant. */
  serviceAdmin: boolean;
}

export const callerKey = createContextKey<Caller | undefined>(undefined, { description: "authenticated caller" });

/** The cluster an authenticated agent acts for. */
export const agentClusterKey = createContextKey<string | undefined>(undefined, { description: "agent's cluster" });
