import http from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { DescMethodStreaming, Message, MessageInitShape } from "@bufbuild/protobuf";
import { ConnectError, Code, type Transport } from "@connectrpc/connect";
import { Gauge, type Registry } from "prom-client";
import type { ExecSessionRequest, ExecSessionRequestSchema, ExecSessionResponse } from "../../gen/tapis/pods/v1/exec_session_service_pb.js";
import { Handoff } from "../../shared/async/handoff.js";
import type { Logger } from "../../shared/logging/logger.js";
import { metadataNames } from "../../shared/rpc/metadata.js";
import { RequestShapeError } from "../../shared/rest-json/rest-json-decoder.js";
import {
  bearerProtocolPrefix,
  decodeRequest,
  encodeResponse,
  encodingOf,
  jsonFramesProtocol,
  protoFramesProtocol,
  tokenOfProtocols,
  type FrameEncoding,
} from "../../shared/websocket/exec-session-frames.js";
import { WebSocketServerOf, type WebSocketConnection } from "../../shared/websocket/ws-library.js";
import { WaitingRequests, waitingLimitReason } from "./waiting-requests.js";
import { sendError } from "../http/envelope.js";
import { noteCaller, startExchange, type Exchange } from "../http/exchange.js";
import type { TrustedProxies } from "../http/client-address.js";
import { callerMetadata, callHeaders } from "../http/forwarded-headers.js";
import type { RequestMetrics } from "../http/request-metrics.js";
import { httpStatusOf } from "../http/status-codes.js";
import type { Route } from "../routing/route-table.js";
import { buildRequest } from "../transcode/request-builder.js";

type Request = MessageInitShape<typeof ExecSessionRequestSchema>;

/** The largest frame a client may send; a larger one closes the connection (1009). */
const maxFrameBytes = 1024 * 1024;
/** Output handed to a connection and not yet written to its socket, past which the gateway reads no more from the service. */
const unsentWindowBytes = 1024 * 1024;
/** Pings keep proxies in between from closing a quiet session's connection. */
const pingEveryMs = 30_000;
/** A close reason may hold at most 123 bytes. */
const maxReasonBytes = 123;

export interface SessionSocketsOptions {
  transport: Transport;
  /** Deadline of the call behind a session, from its start. */
  streamTimeoutMs: number;
  logger: Logger;
  metrics: RequestMetrics;
  /** Proxies whose X-Forwarded-For is believed, for the client's address. */
  trusted: TrustedProxies;
}

/** One open WebSocket and the output written to it but not yet to its socket. */
interface OpenSocket {
  connection: WebSocketConnection;
  unsent: number;
  abort: AbortController;
}

/**
 * The WebSocket edge of RPCs that stream both ways (exec sessions): an
 * upgrade request becomes the call's first message (path and query, as for
 * any GET), the call is opened, and only when the service has answered its
 * first message is the upgrade accepted; a refusal is answered as any REST
 * error, with its HTTP status and the Tapis envelope. Then each WebSocket
 * message is one request or response message (subprotocol
 * tapis.pods.exec.v1.json or .proto). Neither way holds more than a window:
 * the connection is not read while the service has not taken the last
 * message, and the service is not read while a window of output waits to be
 * written to the client.
 */
export class SessionSockets {
  private readonly server = new WebSocketServerOf({ noServer: true, maxPayload: maxFrameBytes, handleProtocols: chooseProtocol });
  private readonly open = new Set<OpenSocket>();

  constructor(private readonly options: SessionSocketsOptions) {}

  /** Output waiting to be written to clients' sockets, over every open session. */
  get unsentBytes(): number {
    let sum = 0;
    for (const socket of this.open) sum += socket.unsent;
    return sum;
  }

  get count(): number {
    return this.open.size;
  }

  /** Answers a WebSocket upgrade request for `route` (with its path variables). */
  async upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, route: Route, vars: Record<string, string>, url: URL): Promise<void> {
    const exchange = startExchange(req, this.options.logger, this.options.metrics);
    exchange.route = route.template.source;
    const refuse = (status: number, message: string, headers: Record<string, string> = {}) => answerOnSocket(req, socket, exchange, status, message, headers);
    const handshake = handshakeProblem(req);
    if (handshake) return refuse(400, handshake);
    const offered = offeredProtocols(req);
    if (typeof offered === "string") return refuse(400, offered);
    const headers = callHeaders(req, route, exchange.requestId, this.options.trusted);
    const token = tokenOfProtocols(offered);
    if (!headers.has(metadataNames.tapisToken) && token) headers.set(metadataNames.tapisToken, token);
    let first: Request;
    try {
      first = buildRequest(route, vars, url.searchParams, undefined, req.headers) as Request;
    } catch (error) {
      if (error instanceof RequestShapeError) return refuse(400, error.message);
      throw error;
    }

    const requests = new Handoff<Request>();
    const abort = new AbortController();
    const clientLeft = () => abort.abort();
    socket.once("close", clientLeft);
    let answers: AsyncIterator<Message>;
    let started: Message;
    try {
      void requests.put(first).catch(() => undefined);
      const response = await this.options.transport.stream(route.method as DescMethodStreaming, abort.signal, this.options.streamTimeoutMs, headers, requests);
      noteCaller(exchange, response.header, callerMetadata);
      answers = response.message[Symbol.asyncIterator]();
      const next = await answers.next();
      if (next.done) return refuse(502, "the service ended the session before it started");
      started = next.value;
    } catch (error) {
      requests.fail(error);
      if (abort.signal.aborted) return exchange.end(499);
      if (error instanceof ConnectError) {
        noteCaller(exchange, error.metadata, callerMetadata);
        return refuse(httpStatusOf(error.code), error.rawMessage);
      }
      throw error;
    } finally {
      socket.off("close", clientLeft);
    }
    if (socket.destroyed) {
      abort.abort();
      return exchange.end(499);
    }
    let relayed = false;
    try {
      this.server.handleUpgrade(req, socket, head, (connection) => {
        relayed = true;
        exchange.end(101);
        this.relay(connection, { connection, unsent: 0, abort }, requests, started, answers);
      });
    } finally {
      // Without a client verifier ws accepts or refuses at once; a refusal (or a socket no longer
      // open both ways, which it destroys) never reaches the relay, so the session is ended here.
      if (!relayed) {
        abort.abort();
        requests.fail(new Error("the upgrade was not completed"));
        exchange.end(socket.destroyed ? 499 : 400);
      }
    }
  }

  /** Closes every open session's connection (1001), as the gateway stops. */
  closeAll(): void {
    for (const socket of this.open) {
      socket.connection.close(1001, "the gateway is shutting down");
      socket.abort.abort();
    }
  }

  private relay(connection: WebSocketConnection, open: OpenSocket, requests: Handoff<Request>, started: Message, answers: AsyncIterator<Message>): void {
    this.open.add(open);
    const encoding = encodingOf(connection.protocol);
    const ping = setInterval(() => connection.ping(), pingEveryMs);
    ping.unref();
    // Nothing more is read from the client until the service has taken every message read so far.
    const waiting = new WaitingRequests(requests, () => connection.resume());
    let refused = false;
    const refuse = (code: number, reason: string) => {
      refused = true;
      closeWith(connection, code, reason);
      // Read on, discarding, up to the client's closing frame.
      connection.resume();
      open.abort.abort();
      requests.fail(new Error("the client broke a rule"));
    };
    connection.on("message", (data, isBinary) => {
      if (refused) return;
      let request: ExecSessionRequest;
      try {
        request = decodeRequest(data, isBinary, encoding);
      } catch (error) {
        if (!(error instanceof RequestShapeError)) throw error;
        return refuse(4400, error.message);
      }
      connection.pause();
      if (!waiting.add(request)) refuse(1008, waitingLimitReason);
    });
    connection.on("error", (error) => this.options.logger.debug("exec session WebSocket failed", { error: String(error) }));
    connection.on("close", () => {
      clearInterval(ping);
      this.open.delete(open);
      // The client went away: the call is cancelled, and the service ends the session.
      open.abort.abort();
      requests.fail(new Error("the client went away"));
    });
    void this.sendAnswers(open, encoding, started, answers);
  }

  private async sendAnswers(open: OpenSocket, encoding: FrameEncoding, started: Message, answers: AsyncIterator<Message>): Promise<void> {
    const { connection } = open;
    let wake: (() => void) | null = null;
    const send = (message: Message) => {
      const frame = encodeResponse(message as ExecSessionResponse, encoding);
      const size = typeof frame === "string" ? Buffer.byteLength(frame) : frame.length;
      open.unsent += size;
      connection.send(frame, { binary: encoding === "proto" }, () => {
        open.unsent -= size;
        wake?.();
      });
    };
    try {
      send(started);
      for (let next = await answers.next(); !next.done; next = await answers.next()) {
        while (open.unsent > unsentWindowBytes && this.open.has(open)) await new Promise<void>((resolve) => (wake = resolve));
        send(next.value);
      }
      closeWith(connection, 1000, "");
    } catch (error) {
      if (open.abort.signal.aborted) return;
      if (error instanceof ConnectError && error.code !== Code.Canceled) return closeWith(connection, 4000 + httpStatusOf(error.code), error.rawMessage);
      this.options.logger.error("exec session relay failed", { error });
      closeWith(connection, 1011, "the service failed");
    }
  }
}

/** The subprotocol a session speaks: the one of ours the client offers (JSON first), else JSON without naming one. */
function chooseProtocol(offered: Set<string>): string | false {
  if (offered.has(jsonFramesProtocol)) return jsonFramesProtocol;
  if (offered.has(protoFramesProtocol)) return protoFramesProtocol;
  return false;
}

/** RFC 7230 token characters, of which a subprotocol name is made. */
const tokenPattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The subprotocols offered, in order, or what makes the list one ws would refuse (bad syntax, a name twice). */
function offeredProtocols(req: http.IncomingMessage): string[] | string {
  const header = req.headers["sec-websocket-protocol"];
  if (header === undefined) return [];
  const offered: string[] = [];
  for (const item of header.split(",")) {
    const name = item.replace(/^[ \t]+|[ \t]+$/g, "");
    if (!tokenPattern.test(name)) return "Sec-WebSocket-Protocol: must be a comma-separated list of tokens";
    if (offered.includes(name)) return `Sec-WebSocket-Protocol: ${name.startsWith(bearerProtocolPrefix) ? "the bearer token" : `'${name}'`} is offered twice`;
    offered.push(name);
  }
  return offered;
}

/** What makes a request no valid WebSocket handshake, if anything (RFC 6455 §4.2.1). */
function handshakeProblem(req: http.IncomingMessage): string | null {
  if (req.method !== "GET") return `a WebSocket is opened with GET, not ${req.method}`;
  if (req.headers.upgrade?.toLowerCase() !== "websocket") return "Upgrade: must be websocket";
  if (req.headers["sec-websocket-version"] !== "13") return "Sec-WebSocket-Version: must be 13";
  const key = req.headers["sec-websocket-key"] ?? "";
  if (!/^[A-Za-z0-9+/]{22}==$/.test(key)) return "Sec-WebSocket-Key: must be 16 bytes in base64";
  return null;
}

/** Answers a request on its raw socket as the gateway answers any REST error, then closes it. */
export function answerOnSocket(req: http.IncomingMessage, socket: Duplex, exchange: Exchange & { end(status: number): void }, status: number, message: string, headers: Record<string, string> = {}): void {
  const res = new http.ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.setHeader("X-Request-Id", exchange.requestId);
  res.once("finish", () => {
    res.detachSocket(socket as Socket);
    socket.end();
    exchange.end(status);
  });
  sendError(res, status, message, headers);
}

/** Closes with `reason`, cut to what a close frame holds. */
function closeWith(connection: WebSocketConnection, code: number, reason: string): void {
  let text = reason;
  if (Buffer.byteLength(text) > maxReasonBytes) {
    const characters = [...text];
    while (Buffer.byteLength(characters.join("")) > maxReasonBytes - 3) characters.pop();
    text = `${characters.join("")}…`;
  }
  connection.close(code, text);
}

/** The gateway's exec session metrics, read from `sockets` when scraped. */
export function sessionSocketMetrics(registry: Registry, sockets: SessionSockets): void {
  new Gauge({
    name: "pods_gateway_exec_sessions",
    help: "Exec sessions whose WebSocket is open at this gateway",
    registers: [registry],
    collect() {
      this.set(sockets.count);
    },
  });
  new Gauge({
    name: "pods_gateway_exec_session_unsent_bytes",
    help: "Output of exec sessions handed to their WebSockets and not yet written to the clients' sockets (at most a window per session)",
    registers: [registry],
    collect() {
      this.set(sockets.unsentBytes);
    },
  });
}
