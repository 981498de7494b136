import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { sendError } from "./envelope.js";

/** How long a client may take, in milliseconds. */
export interface HttpTimeouts {
  /** To send the request line and headers. */
  headersMs: number;
  /** To send a JSON body, from the end of the headers. */
  bodyMs: number;
  /** Of silence on a connection: between requests, or while a request's body or a response trickles. */
  idleMs: number;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  timeouts: HttpTimeouts;
  /** On close: how long requests in flight may finish before their connections are cut. */
  shutdownGraceMs: number;
  /** Takes requests to open a WebSocket; other upgrades (h2c) are answered as plain HTTP/1.1 requests. */
  webSocket?: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;
}

export interface HttpServer {
  port: number;
  /** Stops accepting, lets requests in flight finish within the grace period, then cuts what is left. */
  close(): Promise<void>;
}

/**
 * After answering a request whose body was not read to its end (a refusal),
 * the rest is read and dropped for this long so the client sees the answer
 * rather than a reset, then the connection is closed.
 */
const lingerMs = 2_000;

/** An HTTP/1.1 server that no slow, stalled or endless client can hold open, nor keep from shutting down. */
export async function listenHttp(handler: http.RequestListener, options: HttpServerOptions): Promise<HttpServer> {
  const { timeouts } = options;
  const server = http.createServer(
    {
      headersTimeout: timeouts.headersMs,
      // Whole-request deadlines would cut long uploads; bodies have their own
      // deadline (JSON) or the idle timeout (uploads) instead.
      requestTimeout: 0,
      keepAliveTimeout: timeouts.idleMs,
      connectionsCheckingInterval: Math.max(250, Math.min(1_000, timeouts.headersMs / 2)),
    },
    (req, res) => {
      res.once("finish", () => {
        if (!req.complete) lingerThenClose(req);
      });
      handler(req, res);
    },
  );
  server.timeout = timeouts.idleMs;
  const webSocket = options.webSocket;
  if (webSocket) {
    server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      if ((req.headers.upgrade ?? "").toLowerCase() === "websocket") return webSocket(req, socket, head);
      answerWithoutUpgrade(req, socket as Socket, handler);
    });
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        const cut = setTimeout(() => server.closeAllConnections(), options.shutdownGraceMs);
        cut.unref();
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

function lingerThenClose(req: http.IncomingMessage): void {
  const socket = req.socket;
  const timer = setTimeout(() => socket.destroy(), lingerMs);
  timer.unref();
  socket.once("close", () => clearTimeout(timer));
  req.once("end", () => socket.destroy());
  req.resume();
}

/**
 * Answers a request that asked to upgrade to another protocol (curl's
 * --http2 asks for h2c) as an HTTP/1.1 request, on a connection that then
 * closes. Its body cannot be read once the upgrade was asked for: one that
 * has a body is refused.
 */
function answerWithoutUpgrade(req: http.IncomingMessage, socket: Socket, handler: http.RequestListener): void {
  const res = new http.ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket);
  res.once("finish", () => {
    res.detachSocket(socket);
    socket.end();
  });
  const hasBody = Number(req.headers["content-length"] ?? 0) > 0 || req.headers["transfer-encoding"] !== undefined;
  if (!hasBody) return handler(req, res);
  sendError(res, 400, `Upgrade: ${req.headers.upgrade} is not supported; send the request without it`);
}
