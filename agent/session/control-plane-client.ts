import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { AgentService } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { ControlPlanePool } from "../../shared/rpc/control-plane-pool.js";
import { InProcessTransport, type LocalServer } from "../../shared/rpc/in-process-transport.js";
import { metadataNames, withHeader } from "../../shared/rpc/metadata.js";
import { traceContextInterceptor } from "../../shared/tracing/tracing.js";

/**
 * The agent's client of AgentService on the control-plane replicas: its
 * credential on every call, and a deadline on every unary call that names
 * none, so a replica that hangs fails the call (the work queue retries it)
 * instead of holding a reconcile worker forever. Streams set their own
 * deadline; the session has none. `interceptors` wrap every call. With
 * `inProcess` (the control plane runs in this process) unary calls skip the
 * wire and the session stream keeps it.
 */
export function createControlPlaneClient(
  urls: string[],
  agentToken: string,
  unaryTimeoutMs: number,
  interceptors: Interceptor[] = [],
  inProcess?: LocalServer,
): Client<typeof AgentService> {
  const clientInterceptors = [withHeader(metadataNames.agentToken, agentToken), traceContextInterceptor(), ...interceptors];
  const pool = new ControlPlanePool(urls, clientInterceptors);
  const transport = inProcess ? new InProcessTransport({ ...inProcess, clientInterceptors, wire: pool }) : pool;
  return createClient(AgentService, withUnaryDeadline(transport, unaryTimeoutMs));
}

function withUnaryDeadline(inner: Transport, timeoutMs: number): Transport {
  return {
    unary: (method, signal, callTimeoutMs, header, input, contextValues) =>
      inner.unary(method, signal, callTimeoutMs ?? timeoutMs, header, input, contextValues),
    stream: (method, signal, callTimeoutMs, header, input, contextValues) => inner.stream(method, signal, callTimeoutMs, header, input, contextValues),
  };
}
