import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { Semaphore } from "../../shared/async/semaphore.js";

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

/**
 * "scrypt$<log2 N>$<r>$<p>$<salt>$<hash>", salt and hash base64url. Given
 * another password of the same pod (`sharing`), the new one takes its salt
 * and cost: a guess at the pod is then hashed once, however many passwords
 * the pod has, and takes as long as a guess at any other pod.
 */
export async function hashPassword(password: string, sharing?: string): Promise<string> {
  const shared = sharing ? derivationOf(sharing) : null;
  const derivation = shared ?? `scrypt$${cost.log2N}$${cost.r}$${cost.p}$${randomBytes(16).toString("base64url")}`;
  return `${derivation}$${(await deriveFor(password, derivation))!.toString("base64url")}`;
}

/**
 * The password of `stored` (hashes of one pod) that `password` is, or null;
 * one derivation per salt among them (one, for a pod's passwords).
 */
export async function matchingPassword<T>(password: string, stored: readonly T[], hashOf: (item: T) => string): Promise<T | null> {
  const derived = new Map<string, Buffer | null>();
  let match: T | null = null;
  for (const item of stored) {
    const hash = hashOf(item);
    const derivation = derivationOf(hash);
    if (!derivation) continue;
    if (!derived.has(derivation)) derived.set(derivation, await deriveFor(password, derivation));
    const actual = derived.get(derivation);
    const expected = Buffer.from(hash.slice(derivation.length + 1), "base64url");
    if (actual && actual.length === expected.length && timingSafeEqual(actual, expected) && match === null) match = item;
  }
  return match;
}

/** The "scrypt$<log2 N>$<r>$<p>$<salt>" part of a stored hash, or null when it is no such hash. */
function derivationOf(stored: string): string | null {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt" || !parts[4] || !parts[5]) return null;
  const [log2N, r, p] = parts.slice(1, 4).map(Number);
  if (![log2N, r, p].every((n) => Number.isInteger(n) && n! > 0) || log2N! > 20 || r! > 32 || p! > 4) return null;
  return parts.slice(0, 5).join("$");
}

async function deriveFor(password: string, derivation: string): Promise<Buffer | null> {
  const [, log2N, r, p, salt] = derivation.split("$");
  return derive(password, Buffer.from(salt!, "base64url"), Number(log2N), Number(r), Number(p));
}

let decoy: Promise<string> | undefined;

/**
 * Spends what checking one password costs, for a pod with no password to
 * check: a guess takes as long whether or not the pod has a gate.
 */
export async function spendOnePasswordCheck(password: string): Promise<void> {
  decoy ??= hashPassword(newLinkSecret());
  await matchingPassword(password, [await decoy], (hash) => hash);
}

/**
 * At most this many derivations run at once (each holds a thread of libuv's
 * pool and 16 MiB): a flood of guesses queues here instead of taking every
 * thread that file and DNS work need too.
 */
const concurrentDerivations = new Semaphore(2);

async function derive(password: string, salt: Buffer, log2N: number, r: number, p: number): Promise<Buffer> {
  return concurrentDerivations.run(
    () =>
      new Promise<Buffer>((resolve, reject) => {
        scrypt(password, salt, cost.keyBytes, { N: 2 ** log2N, r, p, maxmem: 64 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key)));
      }),
  );
}
