import type http from "node:http";
import type { DescMethodStreaming, DescMethodUnary, DescService, Message } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { contextFromHeaders, traceContextInterceptor, tracerOf } from "../shared/tracing/tracing.js";
import type { Registry } from "prom-client";
import { answerMetrics, createMetricsRegistry, isMetricsRequest } from "../shared/metrics/metrics-endpoint.js";
import { RequestMetrics } from "./http/request-metrics.js";
import { Health, HealthCheckResponse_ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import { answerHealthProbe, isHealthProbe, probeState, type ReadinessChecks } from "../shared/health/health-endpoints.js";
import type { Logger } from "../shared/logging/logger.js";
import { metadataNames } from "../shared/rpc/metadata.js";
import { callerMetadata, callHeaders } from "./http/forwarded-headers.js";
import type { HttpAnswer } from "../gen/tapis/pods/v1/call_options_pb.js";
import { RequestShapeError } from "../shared/rest-json/rest-json-decoder.js";
import { encodeField, encodeMessageJson } from "../shared/rest-json/rest-json-encoder.js";
import { sendBareJson, sendEnvelope, sendError, sendHttpAnswer } from "./http/envelope.js";
import { listenHttp, type HttpTimeouts } from "./http/http-server.js";
import { ApiDocs } from "./docs/api-docs.js";
import { beginExchange, noteCaller, startExchange, type Exchange } from "./http/exchange.js";
import { answerOnSocket, SessionSockets, sessionSocketMetrics } from "./websocket/session-sockets.js";
import { TrustedProxies } from "./http/client-address.js";
import { BodyError, ClientGoneError, readFormBody, readJsonBody, type JsonBodyLimits } from "./http/json-body.js";
import { httpStatusOf } from "./http/status-codes.js";
import { deadlineMs } from "./routing/call-deadline.js";
import { RouteTable, type Route, type RouteMatch } from "./routing/route-table.js";
import { isDownload, resumeAfterLastEvent, streamEvents } from "./transcode/event-stream.js";
import { getOnlyHeaders, streamDownload, unsatisfiedRangeSize } from "./transcode/file-download.js";
import { buildRequest } from "./transcode/request-builder.js";
import { ControlPlanePool } from "../shared/rpc/control-plane-pool.js";
import { InProcessTransport, type LocalServer } from "../shared/rpc/in-process-transport.js";
import { parseMultipart, uploadMessages } from "./transcode/multipart-request.js";
import { formHoldsOnlyTheFile, streamMultipartFile } from "./transcode/streamed-upload.js";

export interface GatewayOptions {
  host: string;
  port: number;
  /** Base URLs of the control-plane replicas, e.g. http://127.0.0.1:8090; taken in turn. */
  controlPlaneUrls: string[];
  /**
   * A control plane in this same process (the embedded installation): its
   * unary RPCs are called in process, without the wire; streams, and the
   * readiness probe, still go to controlPlaneUrls.
   */
  inProcess?: LocalServer;
  /** The services whose REST bindings this gateway serves. */
  services: DescService[];
  json: JsonBodyLimits;
  timeouts: HttpTimeouts;
  shutdownGraceMs: number;
  /** Deadline of a call to the control plane, unless its method names its own. */
  rpcTimeoutMs: number;
  /** Deadline of a streamed call (an upload or download), from its start. */
  streamTimeoutMs: number;
  /** More of what this process needs to be ready (the embedded installation's agent). */
  readiness?: ReadinessChecks;
  /** Where the gateway's metrics go, served at /metrics (default: a registry of its own). */
  metrics?: Registry;
  maxUploadBytes: number;
  spoolDir: string;
  /** Proxies whose X-Forwarded-For is believed (see clientAddress). */
  trustedProxies?: string[];
  logger: Logger;
}

export interface Gateway {
  port: number;
  routes: RouteTable;
  close(): Promise<void>;
}


/**
 * The REST edge: matches a request to the RPC its http rule names, builds the
 * request message, calls the control plane and answers with the Tapis envelope.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const routes = new RouteTable(options.services);
  const trusted = new TrustedProxies(options.trustedProxies ?? []);
  const docs = new ApiDocs();
  const wire = new ControlPlanePool(options.controlPlaneUrls, [traceContextInterceptor()]);
  const transport = options.inProcess ? new InProcessTransport({ ...options.inProcess, clientInterceptors: [traceContextInterceptor()], wire }) : wire;
  const tracer = tracerOf("gateway");
  const registry = options.metrics ?? createMetricsRegistry();
  const requestMetrics = new RequestMetrics(registry);
  const healthClient = createClient(Health, wire);
  const readiness: ReadinessChecks = async () => ({
    control_plane: await probeState(async () => {
      const answer = await healthClient.check({}, { timeoutMs: 2_000 });
      if (answer.status !== HealthCheckResponse_ServingStatus.SERVING) throw new Error("not serving");
    }),
    ...(await options.readiness?.()),
  });
  const sockets = new SessionSockets({ transport, streamTimeoutMs: options.streamTimeoutMs, logger: options.logger, metrics: requestMetrics, trusted });
  sessionSocketMetrics(registry, sockets);
  const server = await listenHttp(
    (req, res) => {
      // Probes come every few seconds: answered without an access-log line.
      if (isHealthProbe(req)) return void answerHealthProbe(req, res, readiness);
      if (isMetricsRequest(req)) return void answerMetrics(res, registry);
      const exchange = beginExchange(req, res, options.logger, requestMetrics);
      const span = tracer.startSpan(`${req.method}`, { kind: SpanKind.SERVER }, contextFromHeaders(headersOf(req)));
      res.once("close", () => {
        span.updateName(`${req.method} ${exchange.route ?? "unmatched"}`);
        span.setAttributes({ "http.request.method": req.method ?? "", "http.route": exchange.route ?? "", "http.response.status_code": res.writableFinished ? res.statusCode : 499 });
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      });
      context.with(trace.setSpan(context.active(), span), () => handle(req, res, exchange, docs, routes, transport, options, trusted)).catch((error: unknown) => {
        if (clientGone(req, res, error)) {
          options.logger.debug("client went away", { method: req.method, route: exchange.route, request_id: exchange.requestId });
          return res.destroy();
        }
        // The path only: a query may hold a secret (a gate link's ?access=).
        options.logger.error("gateway failure", { method: req.method, path: (req.url ?? "").split("?")[0], request_id: exchange.requestId, error });
        if (!res.headersSent) sendError(res, 500, "internal error");
        else res.destroy();
      });
    },
    {
      ...options,
      webSocket: (req, socket, head) => {
        const url = new URL(req.url ?? "/", "http://gateway");
        const match = routes.match("GET", requestPath(req.url ?? "/", url), url.searchParams);
        if (match.kind !== "found" || match.route.method.methodKind !== "bidi_streaming") {
          return answerOnSocket(req, socket, startExchange(req, options.logger, requestMetrics), 404, `no WebSocket endpoint here: ${req.method} ${url.pathname}`);
        }
        sockets.upgrade(req, socket, head, match.route, match.vars, url).catch((error: unknown) => {
          options.logger.error("WebSocket upgrade failed", { path: url.pathname, error });
          socket.destroy();
        });
      },
    },
  );
  return {
    port: server.port,
    routes,
    close: () => {
      sockets.closeAll();
      return server.close();
    },
  };
}

async function handle(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  exchange: Exchange,
  docs: ApiDocs,
  routes: RouteTable,
  transport: Transport,
  options: GatewayOptions,
  trusted: TrustedProxies,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://gateway");
  const path = requestPath(req.url ?? "/", url);
  const docsRoute = req.method === "GET" ? docs.routeOf(path) : null;
  if (docsRoute) {
    exchange.route = docsRoute;
    return docs.answer(path, res);
  }
  const match = matchRoute(routes, req.method ?? "GET", path, url.searchParams);
  if (match.kind === "none") return sendError(res, 404, `no such endpoint: ${req.method} ${path}`);
  if (match.kind === "wrong-method") {
    return sendError(res, 405, `${req.method} is not allowed here; use ${match.allowed.join(" or ")}`, { Allow: match.allowed.join(", ") });
  }
  const { route, vars } = match;
  exchange.route = route.template.source;
  const abort = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) abort.abort();
  });
  let timeoutMs = 0;
  const headers = callHeaders(req, route, exchange.requestId, trusted);
  try {
    switch (route.method.methodKind) {
      case "unary": {
        const body = route.body === "" ? undefined : await readBodyOf(req, route, options);
        const input = decoded(() => buildRequest(route, vars, url.searchParams, body));
        waitingForTheService(req);
        const response = await transport.unary(route.method as DescMethodUnary, abort.signal, (timeoutMs = deadlineMs(route, input, options.rpcTimeoutMs)), headers, input);
        noteCaller(exchange, response.header, callerMetadata);
        return answer(req, res, route, response.message);
      }
      case "server_streaming": {
        const input = decoded(() => resumeAfterLastEvent(route, buildRequest(route, vars, url.searchParams, undefined, requestHeadersFor(req)), req));
        waitingForTheService(req);
        const response = await transport.stream(route.method as DescMethodStreaming, abort.signal, (timeoutMs = options.streamTimeoutMs), headers, single(input));
        noteCaller(exchange, response.header, callerMetadata);
        req.socket.setTimeout(options.timeouts.idleMs);
        if (!isDownload(route)) return await streamEvents(res, route, response.message);
        exchange.bytesSent = await streamDownload(req, res, response.message);
        // HEAD wants no bytes: the rest of the read is called off.
        if (req.method === "HEAD") abort.abort();
        return;
      }
      case "client_streaming": {
        // Every upload needs a token; refusing early spares reading a large body for nothing.
        if (!headers.has(metadataNames.tapisToken)) return sendError(res, 401, "X-Tapis-Token header is required");
        const base = decoded(() => buildRequest(route, vars, url.searchParams, undefined));
        if (formHoldsOnlyTheFile(route)) {
          const messages = await streamMultipartFile(req, route, base, { maxFileBytes: options.maxUploadBytes });
          const response = await transport.stream(route.method as DescMethodStreaming, abort.signal, (timeoutMs = options.streamTimeoutMs), headers, messages);
          noteCaller(exchange, response.header, callerMetadata);
          return await answerOnce(req, res, route, response.message);
        }
        const upload = await parseMultipart(req, route, base, { maxFileBytes: options.maxUploadBytes, spoolDir: options.spoolDir });
        waitingForTheService(req);
        try {
          const response = await transport.stream(route.method as DescMethodStreaming, abort.signal, (timeoutMs = options.streamTimeoutMs), headers, uploadMessages(upload));
          noteCaller(exchange, response.header, callerMetadata);
          return await answerOnce(req, res, route, response.message);
        } finally {
          await upload.dispose();
        }
      }
      case "bidi_streaming":
        return sendError(res, 426, "this endpoint is a WebSocket: connect with Upgrade: websocket (see the README)", { Upgrade: "websocket" });
      default:
        return sendError(res, 404, `no such endpoint: ${req.method} ${path}`);
    }
  } catch (error) {
    if (error instanceof ConnectError) noteCaller(exchange, error.metadata, callerMetadata);
    if (clientGone(req, res, error)) throw error;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // A refused body is not read on: the connection closes after the answer.
    if (!req.complete) res.setHeader("Connection", "close");
    if (error instanceof RequestShapeError) return sendError(res, 400, error.message);
    if (error instanceof BodyError) return sendError(res, error.status, error.message);
    // A cancellation the client did not ask for is the replica going away mid-call.
    if (error instanceof ConnectError && (lostConnection(error) || (error.code === Code.Canceled && !abort.signal.aborted))) {
      return sendError(res, 503, "the connection to the service was lost; the request may or may not have been applied, so check before retrying");
    }
    if (error instanceof ConnectError && error.code === Code.DeadlineExceeded) {
      return sendError(res, 504, `the service did not answer within ${Math.round(timeoutMs / 1000)} s; the request may or may not have been applied, so check before retrying`);
    }
    const unsatisfied = error instanceof ConnectError ? unsatisfiedRangeSize(error) : undefined;
    if (unsatisfied !== undefined) return sendError(res, 416, (error as ConnectError).rawMessage, { "Content-Range": `bytes */${unsatisfied}` });
    if (error instanceof ConnectError) return sendError(res, httpStatusOf(error.code), error.rawMessage);
    throw error;
  }
}

/**
 * The route of a request. HEAD is served on downloads only, as their GET
 * without the body; elsewhere it is refused as before.
 */
function matchRoute(routes: RouteTable, method: string, path: string, query: URLSearchParams): RouteMatch {
  if (method === "HEAD") {
    const get = routes.match("GET", path, query);
    if (get.kind === "found" && isDownload(get.route)) return get;
  }
  return routes.match(method, path, query);
}

/** The headers request fields may take (rest_header); HEAD has no ranges. */
function requestHeadersFor(req: http.IncomingMessage): http.IncomingHttpHeaders {
  if (req.method !== "HEAD") return req.headers;
  return Object.fromEntries(Object.entries(req.headers).filter(([name]) => !getOnlyHeaders.includes(name)));
}

/**
 * The path as the client sent it. A URL parser would resolve "." and ".."
 * segments (also %2E-encoded ones) and so send `contents/../x` to another
 * route; taken as sent, they reach the field they were sent for, whose
 * rules refuse them.
 */
function requestPath(target: string, parsed: URL): string {
  if (!target.startsWith("/")) return parsed.pathname;
  const end = target.search(/[?#]/);
  return end < 0 ? target : target.slice(0, end);
}

/**
 * The request is read; the service may take long to answer (an exec runs for
 * minutes) and the client rightly sends nothing meanwhile, so silence no
 * longer counts against the connection.
 */
function waitingForTheService(req: http.IncomingMessage): void {
  req.socket.setTimeout(0);
}

/**
 * The Tapis envelope of a response message, or its `response_body` field
 * sent bare, with an ETag: proxies polling it (Traefik's HTTP provider) get
 * 304 while it is unchanged.
 */
function answer(req: http.IncomingMessage, res: http.ServerResponse, route: Route, message: Message): void {
  const output = route.method.output;
  const raw = route.exchange?.answerField ? (message as unknown as Record<string, HttpAnswer | undefined>)[camelCase(route.exchange.answerField)] : undefined;
  if (raw) return sendHttpAnswer(res, raw);
  if (route.responseBody) {
    const field = output.fields.find((f) => f.name === route.responseBody)!;
    return sendBareJson(req, res, encodeField(field, (message as unknown as Record<string, unknown>)[field.localName]));
  }
  const json = encodeMessageJson(output, message);
  const text = typeof json.message === "string" ? json.message : "";
  return sendEnvelope(res, 200, text, json[route.resultField] ?? null, true);
}

/**
 * The JSON body; for RPCs that browsers call directly (HttpExchange), an
 * HTML form's submission too. Elsewhere the Content-Type is not trusted:
 * curl's -d labels JSON as a form.
 */
function readBodyOf(req: http.IncomingMessage, route: Route, options: GatewayOptions): Promise<unknown> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (route.exchange && type === "application/x-www-form-urlencoded") return readFormBody(req, options.json, options.timeouts.bodyMs);
  return readJsonBody(req, options.json, options.timeouts.bodyMs);
}

/**
 * Answers with the one message of a client-streaming call. The stream is
 * read to its end (the trailers), so the call is finished on both sides
 * and holds nothing open on the control plane.
 */
async function answerOnce(req: http.IncomingMessage, res: http.ServerResponse, route: Route, messages: AsyncIterable<Message>): Promise<void> {
  let reply: Message | undefined;
  for await (const message of messages) reply ??= message;
  if (!reply) return sendError(res, 502, "the service gave no answer");
  return answer(req, res, route, reply);
}

/** A request's headers as fetch Headers, for reading trace context. */
function headersOf(req: http.IncomingMessage): Headers {
  const headers = new Headers();
  for (const name of ["traceparent", "tracestate"]) {
    const value = req.headers[name];
    if (typeof value === "string") headers.set(name, value);
  }
  return headers;
}

/** The client closed the connection before its answer: routine, nobody to answer. */
function clientGone(req: http.IncomingMessage, res: http.ServerResponse, error: unknown): boolean {
  return error instanceof ClientGoneError || (req.socket.destroyed && !res.writableFinished);
}

/** A transport failure, not an answer of the service. */
function lostConnection(error: ConnectError): boolean {
  const code = (error.cause as { code?: string } | undefined)?.code ?? "";
  return ["ECONNRESET", "EPIPE", "ERR_HTTP2_STREAM_ERROR", "ERR_HTTP2_SESSION_ERROR", "ERR_HTTP2_GOAWAY_SESSION"].includes(code) || /ECONNRESET|socket hang up/.test(error.rawMessage);
}

/**
 * Runs a decoder; whatever it throws other than a shape error (a recursion
 * limit, a value the protobuf runtime refuses) is the request's fault: 400.
 */
function decoded<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof RequestShapeError) throw error;
    throw new BodyError(400, `request could not be decoded: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function* single<T>(value: T): AsyncIterable<T> {
  yield value;
}

/** `answer_field` → `answerField`, as the generated messages name fields. */
function camelCase(name: string): string {
  return name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
