import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { EncryptionKey } from "./encryption-keys.js";

/**
 * Where a value is stored: table, column and the row's key. A value is bound
 * to its place (it is the AES-GCM additional data), so one copied to another
 * row, column or tenant does not decrypt.
 */
export interface FieldPlace {
  table: string;
  column: string;
  row: readonly string[];
}

/** A stored value that cannot be decrypted: unknown key, wrong key, altered, or moved. */
export class EncryptedValueError extends Error {
  constructor(place: FieldPlace, reason: string) {
    super(`${place.table}.${place.column} of (${place.row.join(", ")}): ${reason}`);
    this.name = "EncryptedValueError";
  }
}

const prefix = "enc:v1:";
const ivBytes = 12;
const tagBytes = 16;

/** True when `stored` is in FieldCipher's format (whatever its key), false for anything else. */
export function isEncryptedValue(stored: string): boolean {
  return stored.startsWith(prefix);
}

/**
 * AES-256-GCM for values stored in the database (pod credentials; secret
 * values use it unchanged). A stored value reads
 * `enc:v1:<key id>:<iv>:<ciphertext>:<tag>` (base64url), so the key that wrote
 * it is known: new values use the current key (the first given), older keys
 * stay readable until every value has been rewritten under the current one.
 */
export class FieldCipher {
  private readonly keys: ReadonlyMap<string, EncryptionKey>;
  private readonly current: EncryptionKey;

  /** `keys[0]` is the current key. Throws when empty or an id repeats. */
  constructor(keys: readonly EncryptionKey[]) {
    if (keys.length === 0) throw new Error("FieldCipher needs at least one key");
    this.keys = new Map(keys.map((key) => [key.id, key]));
    if (this.keys.size !== keys.length) throw new Error("FieldCipher: key ids must be unique");
    this.current = keys[0]!;
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  /** The id of the key `stored` was written with; undefined when it is not an encrypted value. */
  keyIdOf(stored: string): string | undefined {
    return isEncryptedValue(stored) ? stored.slice(prefix.length).split(":")[0] : undefined;
  }

  encrypt(plaintext: string, place: FieldPlace): string {
    const iv = randomBytes(ivBytes);
    const header = `${prefix}${this.current.id}`;
    const cipher = createCipheriv("aes-256-gcm", this.current.key, iv, { authTagLength: tagBytes });
    cipher.setAAD(additionalData(header, place));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return [header, iv, body, cipher.getAuthTag()].map((part) => (typeof part === "string" ? part : part.toString("base64url"))).join(":");
  }

  /** The plaintext of `stored`; throws EncryptedValueError rather than return anything unauthenticated. */
  decrypt(stored: string, place: FieldPlace): string {
    const parts = isEncryptedValue(stored) ? stored.slice(prefix.length).split(":") : [];
    if (parts.length !== 4) throw new EncryptedValueError(place, "is not an encrypted value");
    const [keyId, iv, body, tag] = [parts[0]!, ...parts.slice(1).map((part) => Buffer.from(part, "base64url"))] as [string, Buffer, Buffer, Buffer];
    const key = this.keys.get(keyId);
    if (!key) {
      throw new EncryptedValueError(place, `was encrypted with key '${keyId}', which is not among the configured keys (${[...this.keys.keys()].join(", ")})`);
    }
    if (iv.length !== ivBytes || tag.length !== tagBytes) throw new EncryptedValueError(place, "is not an encrypted value (truncated)");
    try {
      const decipher = createDecipheriv("aes-256-gcm", key.key, iv, { authTagLength: tagBytes });
      decipher.setAAD(additionalData(`${prefix}${keyId}`, place));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
    } catch {
      throw new EncryptedValueError(place, `does not decrypt with key '${keyId}': the key differs from the one that wrote it, or the value was altered or copied from another row`);
    }
  }
}

function additionalData(header: string, place: FieldPlace): Buffer {
  return Buffer.from(JSON.stringify([header, place.table, place.column, ...place.row]));
}
