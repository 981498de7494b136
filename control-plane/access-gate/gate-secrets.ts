import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/*
 * How the gate's secrets are kept. A link's secret is 192 random bits, so a
 * fast hash (SHA-256, bound to its pod) cannot be reversed and lookups stay
 * cheap on every redemption. A password is chosen by a person, so it is
 * hashed slowly with a salt: scrypt, from Node's own crypto (upstream uses
 * bcrypt; its stored form matters to nobody but this service, whose
 * database alone holds the hashes).
 */

/** scrypt's cost: N = 2^14, r = 8, p = 1 (16 MiB, tens of milliseconds per check). */
const cost = { log2N: 14, r: 8, p: 1, keyBytes: 32 };

/** A new link secret: 24 random bytes, URL-safe (32 characters). */
export function newLinkSecret(): string {
  return randomBytes(24).toString("base64url");
}

/** What is stored of a link's secret: bound to the pod, so one pod's hash matches nothing elsewhere. */
export function linkHash(tenantId: string, podId: string, secret: string): string {
  return createHash("sha256").update(`${tenantId}/${podId}:${secret}`).digest("hex");
}

/** "scrypt$<log2 N>$<r>$<p>$<salt>$<hash>", salt and hash base64url. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, cost.log2N, cost.r, cost.p);
  return `scrypt$${cost.log2N}$${cost.r}$${cost.p}$${salt.toString("base64url")}$${hash.toString("base64url")}`;
}

/** Whether `password` is the one `stored` was made from; false for anything malformed. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, log2N, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64url");
  const actual = await derive(password, Buffer.from(salt, "base64url"), Number(log2N), Number(r), Number(p));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

let decoy: Promise<string> | undefined;

/**
 * Spends what checking one password costs, for a pod with no password to
 * check: a guess takes as long whether or not the pod has a gate.
 */
export async function spendOnePasswordCheck(password: string): Promise<void> {
  decoy ??= hashPassword(newLinkSecret());
  await verifyPassword(password, await decoy);
}

function derive(password: string, salt: Buffer, log2N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, cost.keyBytes, { N: 2 ** log2N, r, p, maxmem: 64 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}
