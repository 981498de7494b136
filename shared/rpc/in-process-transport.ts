import { create, isMessage, type DescMessage, type DescMethodStreaming, type DescMethodUnary, type MessageInitShape } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextValues,
  createHandlerContext,
  createServiceImplSpec,
  type ConnectRouter,
  type ContextValues,
  type Interceptor,
  type MethodImplSpec,
  type StreamResponse,
  type Transport,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { invokeUnaryImplementation } from "@connectrpc/connect/protocol";

export interface InProcessOptions {
  /** The services of the server in this process, registered as on its HTTP/2 adapter. */
  routes: (router: ConnectRouter) => void;
  /** The server's interceptors, in the order its adapter is given them. */
  serverInterceptors: Interceptor[];
  /** The client's interceptors (trace context), as the wire transport has them. */
  clientInterceptors: Interceptor[];
  /** Streaming calls, and methods the routes do not serve, go here. */
  wire: Transport;
}

/** A server in this process, as its callers see it: its services and its interceptors. */
export type LocalServer = Pick<InProcessOptions, "routes" | "serverInterceptors">;

type UnaryImplSpec = Extract<MethodImplSpec, { kind: "unary" }>;

/** Why a finished call's handler signal is aborted (made once: an abort without a reason builds a DOMException per call). */
const callFinished = new ConnectError("the call has finished", Code.Canceled);

/**
 * Calls the unary RPCs of a server in the same process without the wire:
 * no HTTP/2 stream, no serialization, no protocol framing. The call still
 * passes through the client's and the server's interceptors (trace context,
 * call log, errors, access), and ends as it would over the wire: the same
 * answer and response headers; errors with the same code, message, details
 * and metadata (any other fault as "internal error"); DeadlineExceeded past
 * the deadline and Canceled when the caller's signal aborts, either of which
 * also aborts the handler's signal. Streaming calls keep the wire, where
 * their bytes flow under HTTP/2's flow control.
 */
export class InProcessTransport implements Transport {
  private readonly unaries = new Map<string, UnaryImplSpec>();
  private readonly clientChain: (req: UnaryRequest) => Promise<UnaryResponse>;

  constructor(private readonly options: InProcessOptions) {
    const recorder = {
      handlers: [],
      service: (service, implementation) => {
        const spec = createServiceImplSpec(service, implementation);
        for (const method of Object.values(spec.methods)) if (method.kind === "unary") this.unaries.set(keyOf(method.method), method);
        return recorder;
      },
      rpc: () => recorder,
    } as ConnectRouter;
    options.routes(recorder);
    this.clientChain = chain((req) => this.serve(req), options.clientInterceptors) as (req: UnaryRequest) => Promise<UnaryResponse>;
  }

  async unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    header: Headers | Record<string, string> | undefined,
    input: MessageInitShape<I>,
    contextValues?: ContextValues,
  ): Promise<UnaryResponse<I, O>> {
    if (!this.unaries.has(keyOf(method))) return this.options.wire.unary(method, signal, timeoutMs, header, input, contextValues);
    const call = new CallSignal(signal, timeoutMs);
    try {
      const req: UnaryRequest<I, O> = {
        stream: false,
        service: method.parent,
        method,
        requestMethod: "POST",
        url: `in-process:///${method.parent.typeName}/${method.name}`,
        header: new Headers(header),
        contextValues: contextValues ?? createContextValues(),
        signal: call.signal,
        message: isMessage(input, method.input) ? input : create(method.input, input),
      };
      return (await call.race(this.clientChain(req as unknown as UnaryRequest))) as unknown as UnaryResponse<I, O>;
    } finally {
      call.finish();
    }
  }

  stream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodStreaming<I, O>,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    header: Headers | Record<string, string> | undefined,
    input: AsyncIterable<MessageInitShape<I>>,
    contextValues?: ContextValues,
  ): Promise<StreamResponse<I, O>> {
    return this.options.wire.stream(method, signal, timeoutMs, header, input, contextValues);
  }

  /** The server's side of a call: its interceptors and handler, with a context as its adapter would make. */
  private async serve(req: UnaryRequest): Promise<UnaryResponse> {
    const spec = this.unaries.get(keyOf(req.method))!;
    const context = createHandlerContext({
      ...spec,
      service: req.service,
      protocolName: "connect",
      requestMethod: "POST",
      url: req.url,
      // The deadline is the caller's (CallSignal): its signal aborts the handler's.
      requestSignal: req.signal,
      requestHeader: req.header,
      responseHeader: {},
      responseTrailer: {},
      contextValues: createContextValues(),
    });
    try {
      const message = await invokeUnaryImplementation(spec, context, req.message, this.options.serverInterceptors);
      return { stream: false, service: req.service, method: req.method, header: context.responseHeader, trailer: context.responseTrailer, message };
    } catch (error) {
      throw asReceived(error, context.responseHeader);
    } finally {
      context.abort(callFinished);
    }
  }
}

/** The error a client reads from the wire: the server's code, message, details and metadata; any other fault as "internal error". */
function asReceived(error: unknown, responseHeader: Headers): ConnectError {
  const metadata = new Headers(responseHeader);
  if (!(error instanceof ConnectError)) return new ConnectError("internal error", Code.Internal, metadata);
  error.metadata.forEach((value, key) => metadata.set(key, value));
  // Details as read from the wire are the same kind of value for findDetails as those sent.
  return new ConnectError(error.rawMessage, error.code, metadata, error.details as ConstructorParameters<typeof ConnectError>[3]);
}

/**
 * The caller's side of a call's lifetime: aborted when the caller's signal
 * aborts (Canceled) or the deadline passes (DeadlineExceeded), which the
 * handler sees through its context's signal.
 */
class CallSignal {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly onCallerAbort = () => this.abort(ConnectError.from(this.caller!.reason, Code.Canceled));

  constructor(
    private readonly caller: AbortSignal | undefined,
    timeoutMs: number | undefined,
  ) {
    if (caller?.aborted) this.onCallerAbort();
    else caller?.addEventListener("abort", this.onCallerAbort);
    if (timeoutMs !== undefined) this.timer = setTimeout(() => this.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded)), Math.max(0, timeoutMs));
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The call's answer, or its abort reason as soon as it aborts. */
  race<T>(answer: Promise<T>): Promise<T> {
    if (this.controller.signal.aborted) return Promise.reject(this.controller.signal.reason as Error);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(this.controller.signal.reason as Error);
      this.controller.signal.addEventListener("abort", onAbort, { once: true });
      answer.then(
        (value) => (this.controller.signal.removeEventListener("abort", onAbort), resolve(value)),
        (error: unknown) => (this.controller.signal.removeEventListener("abort", onAbort), reject(error)),
      );
    });
  }

  finish(): void {
    clearTimeout(this.timer);
    this.caller?.removeEventListener("abort", this.onCallerAbort);
  }

  private abort(reason: ConnectError): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }
}

/**
 * Routes whose services are built once, on the first router: every later
 * router (the HTTP/2 adapter, an in-process transport) is given the same
 * implementations, so no state is split between two copies.
 */
export function routesBuiltOnce(routes: (router: ConnectRouter) => void): (router: ConnectRouter) => void {
  let registrations: ((router: ConnectRouter) => void)[] | undefined;
  return (router) => {
    if (!registrations) {
      const recorded: ((router: ConnectRouter) => void)[] = [];
      const recorder = {
        handlers: [],
        service: (service, implementation, options) => (recorded.push((r) => r.service(service, implementation, options)), recorder),
        rpc: (method, implementation, options) => (recorded.push((r) => r.rpc(method, implementation, options)), recorder),
      } as ConnectRouter;
      routes(recorder);
      registrations = recorded;
    }
    for (const register of registrations) register(router);
  };
}

/** Interceptors around `last`, the first outermost (as Connect applies them). */
function chain(last: (req: UnaryRequest) => Promise<UnaryResponse>, interceptors: Interceptor[]) {
  type AnyFn = Parameters<Interceptor>[0];
  return interceptors.reduceRight<AnyFn>((next, interceptor) => interceptor(next), last as AnyFn);
}

function keyOf(method: { parent: { typeName: string }; name: string }): string {
  return `${method.parent.typeName}/${method.name}`;
}
