import { isIP } from "node:net";

/** Attempt keys fit the column that stores them. */
const maxKeyLength = 64;

/**
 * The key failed attempts from `address` are counted under: an IPv4
 * address itself, an IPv6 address's /64 (one subscriber commonly holds a
 * whole /64, so counting each address would give them 2^64 tries).
 */
export function attemptKeyOf(address: string): string {
  const mapped = address.toLowerCase().startsWith("::ffff:") ? address.slice(7) : address;
  if (isIP(mapped) === 4) return mapped;
  if (isIP(address) === 6) return `${ipv6Groups(address).slice(0, 4).join(":")}::/64`;
  return address.slice(0, maxKeyLength);
}

/** The eight 16-bit groups of a valid IPv6 address, each as a lowercase number without leading zeros. */
function ipv6Groups(address: string): string[] {
  const [head = "", tail] = address.toLowerCase().split("::");
  const split = (part: string) => (part ? part.split(":") : []);
  const left = split(head);
  const right = tail === undefined ? [] : split(tail);
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  return groups.map((group) => Number.parseInt(group, 16).toString(16));
}
