import type http2 from "node:http2";
import { Http2SessionManager } from "@connectrpc/connect-node";

/*
 * HTTP/2 lets a receiver hold a sender to a window of unread bytes, per
 * stream and per connection, 64 KiB by default. File bytes between the
 * gateway, the control plane and the agents travel in streams (uploads,
 * downloads, an agent's session), where 64 KiB per round trip caps a
 * transfer near 10 MB/s; the windows are widened on every connection of the
 * service. The service's own windows (send-window.ts) still bound what any
 * process holds of a file.
 */

/** Unread bytes one stream may have in flight. */
export const streamWindowBytes = 8 * 1024 * 1024;
/** Unread bytes one connection (all its streams) may have in flight. */
export const connectionWindowBytes = 32 * 1024 * 1024;

/** Settings a client or server announces: the widened stream window. */
export const wideWindowSettings: http2.Settings = { initialWindowSize: streamWindowBytes };

/** Widens a session's connection window (once it is set up). */
export function widenConnectionWindow(session: http2.Http2Session): void {
  const widen = () => {
    if (!session.destroyed) session.setLocalWindowSize(connectionWindowBytes);
  };
  if (session.connecting) session.once("connect", widen);
  else widen();
}

/** Client sessions with the widened windows, for Connect and gRPC transports. */
export class WideWindowSessionManager extends Http2SessionManager {
  private readonly widened = new WeakSet<http2.Http2Session>();

  constructor(baseUrl: string) {
    super(baseUrl, undefined, { settings: wideWindowSettings });
  }

  override async request(...args: Parameters<Http2SessionManager["request"]>): Promise<http2.ClientHttp2Stream> {
    const stream = await super.request(...args);
    const session = stream.session;
    if (session && !this.widened.has(session)) {
      this.widened.add(session);
      widenConnectionWindow(session);
    }
    return stream;
  }
}
