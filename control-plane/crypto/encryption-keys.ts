import { createSecretKey, randomBytes, type KeyObject } from "node:crypto";

/**
 * One AES-256 key and the id stored beside every value it encrypts. The key
 * material is a KeyObject, so it never shows up when a config is printed or
 * serialised.
 */
export interface EncryptionKey {
  id: string;
  key: KeyObject;
}

/** The id of a key given without one: `PODS_ENCRYPTION_KEY=<base64>` means `k1:<base64>`. */
export const defaultKeyId = "k1";

const keyIdRule = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
const base64Rule = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * Parses the keys of PODS_ENCRYPTION_KEY or a key file: entries separated by
 * commas or newlines, each `<id>:<base64 of 32 bytes>` (or just the base64,
 * whose id is k1). The first entry is the current key, which encrypts every
 * new value; the others stay readable. Returns the rule broken, never the
 * key material, on failure.
 */
export function parseEncryptionKeys(text: string): EncryptionKey[] | { error: string } {
  const entries = text
    .split(/[,\n]/)
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) return { error: "holds no key; give base64 of 32 random bytes (openssl rand -base64 32)" };
  const keys: EncryptionKey[] = [];
  for (const [index, entry] of entries.entries()) {
    const colon = entry.indexOf(":");
    const id = colon < 0 ? defaultKeyId : entry.slice(0, colon).trim();
    const encoded = colon < 0 ? entry : entry.slice(colon + 1).trim();
    const which = colon < 0 ? `entry ${index + 1}` : `key '${id}'`;
    if (!keyIdRule.test(id)) return { error: `entry ${index + 1}: a key id is 1-32 letters, digits, '.', '_' or '-', starting with a letter or digit` };
    if (keys.some((key) => key.id === id)) return { error: `key id '${id}' is given more than once` };
    if (!base64Rule.test(encoded)) return { error: `${which}: is not base64` };
    const bytes = Buffer.from(encoded, "base64");
    if (bytes.length !== 32) return { error: `${which}: must be base64 of 32 bytes (openssl rand -base64 32), not of ${bytes.length}` };
    keys.push({ id, key: createSecretKey(bytes) });
  }
  return keys;
}

/** A new random key in the format parseEncryptionKeys reads, e.g. for a generated key file. */
export function newEncryptionKeyText(id = defaultKeyId): string {
  return `${id}:${randomBytes(32).toString("base64")}`;
}
