import type { DescMessage, DescMethodStreaming, DescMethodUnary, MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues, type Interceptor, type StreamResponse, type Transport, type UnaryResponse } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { EnvReader } from "../config/env-reader.js";
import { WideWindowSessionManager } from "./http2-windows.js";

/** PODS_CONTROL_PLANE_URL: the replicas' gRPC/Connect base URLs, comma-separated. */
export function readControlPlaneUrls(env: EnvReader): string[] {
  const urls = env.list("PODS_CONTROL_PLANE_URL", "http://127.0.0.1:8090");
  if (urls.length === 0 || !urls.every((url) => /^https?:\/\/[^/]+/.test(url))) {
    env.invalid("PODS_CONTROL_PLANE_URL", "must be one or more http:// or https:// URLs, comma-separated");
  }
  return urls;
}

/**
 * The control-plane replicas a gateway or an agent talks to, taken in turn.
 * A unary call that could not even connect to one replica is tried on the
 * next: nothing was sent, so nothing can happen twice. Streams are not
 * retried here; each new stream (an agent reconnecting) goes to the next
 * replica.
 */
export class ControlPlanePool implements Transport {
  private readonly members: { transport: Transport; refusedAt: number }[];
  private next = 0;

  constructor(
    urls: string[],
    interceptors: Interceptor[] = [],
    /** A replica that refused a connection is passed over for this long. */
    private readonly shunMs = 2_000,
  ) {
    this.members = urls.map((baseUrl) => ({ transport: createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true, interceptors, sessionManager: new WideWindowSessionManager(baseUrl) }), refusedAt: 0 }));
  }

  async unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    header: Headers | Record<string, string> | undefined,
    input: MessageInitShape<I>,
    contextValues?: ContextValues,
  ): Promise<UnaryResponse<I, O>> {
    let lastError: unknown;
    for (const member of this.order()) {
      try {
        return await member.transport.unary(method, signal, timeoutMs, header, input, contextValues);
      } catch (error) {
        if (!neverConnected(error)) throw error;
        member.refusedAt = Date.now();
        lastError = error;
      }
    }
    throw lastError;
  }

  stream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodStreaming<I, O>,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    header: Headers | Record<string, string> | undefined,
    input: AsyncIterable<MessageInitShape<I>>,
    contextValues?: ContextValues,
  ): Promise<StreamResponse<I, O>> {
    return this.order()[0]!.transport.stream(method, signal, timeoutMs, header, input, contextValues);
  }

  /** Every replica once, starting at the next in turn, those that just refused a connection last. */
  private order(): { transport: Transport; refusedAt: number }[] {
    const start = this.next++;
    const rotated = this.members.map((_, i) => this.members[(start + i) % this.members.length]!);
    const now = Date.now();
    const shunned = (m: { refusedAt: number }) => now - m.refusedAt < this.shunMs;
    return [...rotated.filter((m) => !shunned(m)), ...rotated.filter(shunned)];
  }
}

function neverConnected(error: unknown): boolean {
  if (!(error instanceof ConnectError) || error.code !== Code.Unavailable) return false;
  const cause = error.cause as { code?: string } | undefined;
  return cause?.code === "ECONNREFUSED" || /ECONNREFUSED/.test(error.rawMessage);
}
