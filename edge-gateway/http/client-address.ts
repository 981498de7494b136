import { BlockList, isIP } from "node:net";
import type http from "node:http";

/**
 * The proxies whose word about their own client the gateway takes
 * (PODS_TRUSTED_PROXIES): addresses and CIDR ranges. Requests from anywhere
 * else are their own client, whatever headers they send.
 */
export class TrustedProxies {
  private readonly list = new BlockList();
  private readonly empty: boolean;

  constructor(entries: readonly string[]) {
    this.empty = entries.length === 0;
    for (const entry of entries) {
      const [address, prefix] = entry.split("/");
      const family = isIP(address ?? "") === 6 ? "ipv6" : "ipv4";
      if (prefix === undefined) this.list.addAddress(address!, family);
      else this.list.addSubnet(address!, Number(prefix), family);
    }
  }

  trusts(address: string): boolean {
    if (this.empty || !isIP(address)) return false;
    return this.list.check(address, isIP(address) === 6 ? "ipv6" : "ipv4");
  }
}

/**
 * The address of the client behind `req`: the connection's peer, unless
 * that is a trusted proxy; then the nearest address in X-Forwarded-For
 * that is not itself a trusted proxy (each proxy appends the address it saw,
 * so addresses further left are the client's own claims), else X-Real-IP.
 */
export function clientAddress(req: http.IncomingMessage, trusted: TrustedProxies): string {
  const peer = plain(req.socket.remoteAddress ?? "");
  if (!trusted.trusts(peer)) return peer;
  const forwarded = String(req.headers["x-forwarded-for"] ?? "")
    .split(",")
    .map((part) => plain(part.trim()))
    .filter((part) => isIP(part) !== 0);
  for (let i = forwarded.length - 1; i >= 0; i--) {
    if (!trusted.trusts(forwarded[i]!)) return forwarded[i]!;
  }
  const real = plain(String(req.headers["x-real-ip"] ?? "").trim());
  return isIP(real) !== 0 ? real : peer;
}

/** An IPv4 address as IPv4, not as IPv4-mapped IPv6 ("::ffff:127.0.0.1"). */
function plain(address: string): string {
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
