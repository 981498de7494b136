import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { wideWindowSettings, widenConnectionWindow } from "../../shared/rpc/http2-windows.js";

export interface RpcServer {
  /** The port actually bound (useful when asked for port 0). */
  port: number;
  close(): Promise<void>;
}

type Handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;

const http2Preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const sniffTimeoutMs = 10_000;

/**
 * Serves `handler` on one plaintext port for gRPC and Connect over HTTP/2
 * (h2c, prior knowledge) and Connect over HTTP/1.1: the first bytes of each
 * connection tell which protocol it speaks.
 */
export async function listenRpc(handler: Handler, host: string, port: number, shutdownGraceMs: number): Promise<RpcServer> {
  const h2 = http2.createServer({ settings: wideWindowSettings }, handler as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
  const h1 = http.createServer(handler as http.RequestListener);
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    widenConnectionWindow(session);
    session.once("close", () => sessions.delete(session));
  });
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    // A connection that never says enough to be told apart is dropped.
    socket.setTimeout(sniffTimeoutMs, () => socket.destroy());
    let head = Buffer.alloc(0);
    const sniff = () => {
      let chunk: Buffer | null;
      while ((chunk = socket.read()) !== null) head = Buffer.concat([head, chunk]);
      if (head.length < 3 && http2Preface.subarray(0, head.length).equals(head)) return;
      socket.off("readable", sniff);
      socket.setTimeout(0);
      socket.unshift(head);
      (head.subarray(0, 3).equals(http2Preface.subarray(0, 3)) ? h2 : h1).emit("connection", socket);
    };
    socket.on("readable", sniff);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const session of sessions) session.close();
        // Open calls may finish within the grace period; then what is left is cut.
        setTimeout(() => {
          for (const socket of sockets) socket.destroy();
        }, shutdownGraceMs).unref();
      });
    },
  };
}
