import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP proxy on 127.0.0.1 to `target`, to cut a client off from a server
 * and let it back: `cut()` stops listening and drops every connection (new
 * ones are refused), `restore()` listens again on the same port;
 * `cutNextAfter(n)` lets the next connection carry `n` bytes from the server
 * and then drops it (a download broken midway). Bytes pass through
 * untouched, so TLS ends at the server as before.
 */
export interface TcpProxy {
  port: number;
  cut(): Promise<void>;
  cutNextAfter(bytes: number): void;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };
  let cutAfter: number | undefined;
  const listen = async (port: number): Promise<Server> => {
    const server = createServer((client) => {
      const upstream = connect(target.port, target.host);
      track(client);
      track(upstream);
      client.pipe(upstream);
      const limit = cutAfter;
      cutAfter = undefined;
      if (limit === undefined) upstream.pipe(client);
      else passUntil(upstream, client, limit);
      client.once("error", () => upstream.destroy());
      upstream.once("error", () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    return server;
  };
  let server: Server | null = await listen(0);
  const port = (server.address() as { port: number }).port;
  const cut = async () => {
    const closing = server;
    server = null;
    if (!closing) return;
    const closed = new Promise<void>((resolve) => closing.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  return {
    port,
    cut,
    cutNextAfter(bytes) {
      cutAfter = bytes;
    },
    async restore() {
      server ??= await listen(port);
    },
    close: cut,
  };
}

/** Passes `limit` bytes from `from` to `to`, then drops both. */
function passUntil(from: Socket, to: Socket, limit: number): void {
  let passed = 0;
  from.on("data", (chunk: Buffer) => {
    const room = limit - passed;
    if (room <= 0) return;
    passed += Math.min(room, chunk.length);
    if (chunk.length < room) {
      if (!to.write(chunk)) {
        from.pause();
        to.once("drain", () => from.resume());
      }
      return;
    }
    to.write(chunk.subarray(0, room), () => {
      to.destroy();
      from.destroy();
    });
  });
}
