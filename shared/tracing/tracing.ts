import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type TextMapGetter, type TextMapSetter, type Tracer } from "@opentelemetry/api";
import type { Interceptor } from "@connectrpc/connect";
import { serviceVersion } from "../version.js";

/** The parts of the service that make spans; each is a tracer of its own name. */
export type TracedComponent = "gateway" | "control-plane" | "agent";

export function tracerOf(component: TracedComponent): Tracer {
  return trace.getTracer(`tapis-pods/${component}`, serviceVersion);
}

const headersGetter: TextMapGetter<Headers> = {
  get: (carrier, key) => carrier.get(key) ?? undefined,
  keys: (carrier) => [...carrier.keys()],
};

const headersSetter: TextMapSetter<Headers> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

/** The trace context a caller sent in its headers (W3C traceparent), or the root context. */
export function contextFromHeaders(headers: Headers): Context {
  return propagation.extract(ROOT_CONTEXT, headers, headersGetter);
}

/** The trace context named by a W3C traceparent value (as events carry it), or the root context. */
export function contextFromTraceparent(traceparent: string): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

/** The active trace context as a W3C traceparent value, "" when none. */
export function currentTraceparent(): string {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? "";
}

/** An interceptor that sends the active trace context with every call. */
export function traceContextInterceptor(): Interceptor {
  return (next) => (req) => {
    propagation.inject(context.active(), req.header, headersSetter);
    return next(req);
  };
}

/**
 * Runs `work` in a new span, child of `parent`, as the active context; the
 * span ends when `work` settles and records a failure.
 */
export async function inSpan<T>(tracer: Tracer, name: string, options: { kind?: SpanKind; parent?: Context; attributes?: Record<string, string> }, work: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracer.startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}
