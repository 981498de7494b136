import type http from "node:http";
import { createRequire } from "node:module";
import type { Duplex } from "node:stream";

/*
 * The `ws` package (8.x: the WebSocket implementation @kubernetes/client-node
 * uses too), typed as far as this project uses it; its own types are not
 * installed.
 */

/** One WebSocket connection, either end. */
export interface WebSocketConnection {
  readonly readyState: number;
  /** The subprotocol the server chose ("" for none). */
  readonly protocol: string;
  /** Bytes queued to be sent, not yet handed to the socket. */
  readonly bufferedAmount: number;
  send(data: string | Uint8Array, options?: { binary?: boolean }, callback?: (error?: Error) => void): void;
  close(code?: number, reason?: string): void;
  /** Cuts the connection without a closing handshake. */
  terminate(): void;
  ping(): void;
  /** Stops reading from the connection (messages already read may still come). */
  pause(): void;
  resume(): void;
  on(event: "message", listener: (data: Buffer, isBinary: boolean) => void): this;
  on(event: "close", listener: (code: number, reason: Buffer) => void): this;
  on(event: "error", listener: (error: Error) => void): this;
  on(event: "open" | "pong", listener: () => void): this;
  on(event: "unexpected-response", listener: (request: http.ClientRequest, response: http.IncomingMessage) => void): this;
  once(event: "close", listener: (code: number, reason: Buffer) => void): this;
  once(event: "open", listener: () => void): this;
  once(event: "error", listener: (error: Error) => void): this;
}

export interface WebSocketServerOptions {
  noServer: true;
  /** Largest message accepted; a larger one closes the connection (1009). */
  maxPayload: number;
  /** Picks the subprotocol among those the client offers; false for none. */
  handleProtocols?: (offered: Set<string>, request: http.IncomingMessage) => string | false;
}

export interface WebSocketServer {
  handleUpgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer, accepted: (connection: WebSocketConnection) => void): void;
  close(): void;
}

export interface WebSocketClientOptions {
  headers?: Record<string, string>;
  maxPayload?: number;
}

export const webSocketOpen = 1;

interface WsModule {
  WebSocket: new (url: string, protocols?: string[], options?: WebSocketClientOptions) => WebSocketConnection;
  WebSocketServer: new (options: WebSocketServerOptions) => WebSocketServer;
}

const ws = createRequire(import.meta.url)("ws") as WsModule;

export const WebSocketClient = ws.WebSocket;
export const WebSocketServerOf = ws.WebSocketServer;
