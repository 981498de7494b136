import { randomBytes } from "node:crypto";
import http from "node:http";
import net from "node:net";
import { eventually } from "./eventually.js";
import { WebSocketClient, type WebSocketConnection } from "../../shared/websocket/ws-library.js";

/** The subprotocol of JSON text frames, and the one Kubernetes clients use to pass a bearer token. */
export const jsonFrames = "tapis.pods.exec.v1.json";
export const protoFrames = "tapis.pods.exec.v1.proto";
export const bearerProtocol = (token: string) => `base64url.bearer.authorization.k8s.io.${Buffer.from(token).toString("base64url").replace(/=+$/, "")}`;

/** The ws:// URL of a pod's session endpoint at `baseUrl`, with `query`. */
export function sessionUrl(baseUrl: string, podId: string, query = ""): string {
  return `${baseUrl.replace(/^http/, "ws")}/v3/pods/${podId}/exec/session${query ? `?${query}` : ""}`;
}

/**
 * A session driven by a stock WebSocket client (the `ws` package) with JSON
 * frames: each message one ExecSessionRequest or ExecSessionResponse, field
 * names as REST uses them, bytes in base64.
 */
export class WsJsonSession {
  readonly frames: Record<string, any>[] = [];
  closed: { code: number; reason: string } | null = null;
  private readonly socket: WebSocketConnection;

  constructor(url: string, protocols: string[], headers: Record<string, string> = {}) {
    this.socket = new WebSocketClient(url, protocols, { headers });
    this.socket.on("message", (data, isBinary) => {
      if (isBinary) throw new Error("a JSON session got a binary frame");
      this.frames.push(JSON.parse(data.toString("utf8")) as Record<string, any>);
    });
    this.socket.on("close", (code, reason) => (this.closed = { code, reason: reason.toString("utf8") }));
    this.socket.on("error", () => undefined);
  }

  get protocol(): string {
    return this.socket.protocol;
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  opened(): Promise<void> {
    return eventually("the WebSocket to open", async () => {
      if (this.closed) throw new Error(`the WebSocket closed: ${JSON.stringify(this.closed)}`);
      return this.socket.readyState === 1;
    }).then(() => undefined);
  }

  send(frame: object): void {
    this.socket.send(JSON.stringify(frame));
  }

  /** Sends text as it is, well formed or not. */
  sendRaw(text: string): void {
    this.socket.send(text);
  }

  stdin(text: string | Buffer): void {
    this.send({ stdin: Buffer.from(text).toString("base64") });
  }

  stdout(): string {
    return Buffer.concat(this.frames.filter((f) => typeof f.stdout === "string").map((f) => Buffer.from(f.stdout, "base64"))).toString("utf8");
  }

  stdoutBytes(): number {
    return this.frames.reduce((sum, f) => sum + (typeof f.stdout === "string" ? Buffer.from(f.stdout, "base64").length : 0), 0);
  }

  waitForStdout(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    return eventually(`stdout to match ${pattern} (so far ${JSON.stringify(this.stdout().slice(-300))})`, async () => pattern.test(this.stdout()) && this.stdout(), timeoutMs);
  }

  /** The `ended` frame, once the server closed the connection after it. */
  async ended(timeoutMs = 15_000): Promise<Record<string, any>> {
    const closed = await this.closing(timeoutMs);
    const last = this.frames.at(-1);
    if (!last?.ended) throw new Error(`the last frame is no 'ended': ${JSON.stringify(last)} (closed ${JSON.stringify(closed)})`);
    return last.ended as Record<string, any>;
  }

  closing(timeoutMs = 15_000): Promise<{ code: number; reason: string }> {
    return eventually("the WebSocket to close", async () => this.closed ?? undefined, timeoutMs);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Cuts the connection, as a client whose network drops. */
  terminate(): void {
    this.socket.terminate();
  }

  close(): void {
    this.socket.close(1000);
  }
}

/** What a server answered to a WebSocket upgrade request: 101, or an HTTP status with its Tapis envelope. */
export async function upgradeAnswer(url: string, headers: Record<string, string>): Promise<{ status: number; body: Record<string, any> | null; headers: http.IncomingHttpHeaders }> {
  const target = new URL(url.replace(/^ws/, "http"));
  return new Promise((resolve, reject) => {
    const request = http.request(target, {
      headers: { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": randomBytes(16).toString("base64"), ...headers },
    });
    request.on("upgrade", (response, socket) => {
      socket.destroy();
      resolve({ status: response.statusCode ?? 0, body: null, headers: response.headers });
    });
    request.on("response", (response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: jsonOrText(text), headers: response.headers }));
    });
    request.on("error", reject);
    request.end();
  });
}

/** A body as JSON, or as `{ text }` when it is none (a server that answers in plain text). */
function jsonOrText(text: string): Record<string, any> {
  try {
    return JSON.parse(text) as Record<string, any>;
  } catch {
    return { text };
  }
}

/** Writes a WebSocket upgrade request for `url` on a raw socket and at once ends its side of the connection; resolves when the server has closed it. */
export function upgradeThenHangUp(url: string, headers: Record<string, string>): Promise<void> {
  const target = new URL(url.replace(/^ws/, "http"));
  const lines = [
    `GET ${target.pathname}${target.search} HTTP/1.1`,
    `Host: ${target.host}`,
    "Connection: Upgrade",
    "Upgrade: websocket",
    "Sec-WebSocket-Version: 13",
    `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(target.port), target.hostname, () => socket.end(`${lines.join("\r\n")}\r\n\r\n`));
    socket.on("data", () => undefined);
    socket.on("close", () => resolve());
    socket.on("error", reject);
  });
}
