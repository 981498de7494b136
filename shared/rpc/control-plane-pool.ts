import type { DescMessage, DescMethodStreaming, DescMethodUnary, MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues, type Interceptor, type StreamResponse, type Transport, type UnaryResponse } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";

/**
 * The control-plane replicas a gateway or an agent talks to, taken in turn.
 * A unary call that could not even connect to one replica is tried on the
 * next: nothing was sent, so nothing can happen twice. Streams are not
 * retried here; each new stream (an agent reconnecting) goes to the next
 * replica.
 */
export class ControlPlanePool implements Transport {
  private readonly transports: Transport[];
  private next = 0;

  constructor(urls: string[], interceptors: Interceptor[] = []) {
    this.transports = urls.map((baseUrl) => createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true, interceptors }));
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
    for (let attempt = 0; attempt < this.transports.length; attempt++) {
      try {
        return await this.pick().unary(method, signal, timeoutMs, header, input, contextValues);
      } catch (error) {
        if (!neverConnected(error)) throw error;
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
    return this.pick().stream(method, signal, timeoutMs, header, input, contextValues);
  }

  private pick(): Transport {
    const transport = this.transports[this.next % this.transports.length]!;
    this.next++;
    return transport;
  }
}

function neverConnected(error: unknown): boolean {
  if (!(error instanceof ConnectError) || error.code !== Code.Unavailable) return false;
  const cause = error.cause as { code?: string } | undefined;
  return cause?.code === "ECONNREFUSED" || /ECONNREFUSED/.test(error.rawMessage);
}
