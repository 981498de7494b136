import type { Interceptor } from "@connectrpc/connect";

/** Request metadata names understood by the control plane (gRPC metadata or HTTP headers). */
export const metadataNames = {
  /** The caller's Tapis JWT. */
  tapisToken: "x-tapis-token",
  /** For service tokens: the user and tenant the service acts for. */
  tapisUser: "x-tapis-user",
  tapisTenant: "x-tapis-tenant",
  /** Correlates a request across services. */
  tapisTrackingId: "x-tapis-tracking-id",
  /** The id the gateway gives each request (the client may choose it); every component logs it. */
  requestId: "x-request-id",
  /** Response metadata: the tenant and user a call was authenticated as, for access logs. */
  callerTenant: "x-pods-caller-tenant",
  callerUser: "x-pods-caller-user",
  /** The credential an agent presents for its cluster. */
  agentToken: "x-pods-agent-token",
  /** The secret control-plane replicas share to forward requests to each other. */
  replicaToken: "x-pods-replica-token",
  /**
   * The address of the client behind a REST request, as the gateway
   * established it (its peer, or what a trusted proxy says of its own
   * client). Clients cannot send it: the gateway passes on only the headers
   * it names.
   */
  clientAddress: "pods-client-address",
} as const;

/**
 * The metadata name under which the gateway hands an HTTP request header to
 * an RPC that asks for it (see HttpExchange): prefixed, so no header of the
 * client can pose as the call's own.
 */
export function httpHeaderMetadata(header: string): string {
  return `pods-http-${header.toLowerCase()}`;
}

/** An interceptor that sends `value` under the metadata name `name` on every call. */
export function withHeader(name: string, value: string): Interceptor {
  return (next) => (req) => {
    req.header.set(name, value);
    return next(req);
  };
}
