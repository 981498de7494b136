import { readFileSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { EnvReader } from "../../shared/config/env-reader.js";
import type { DatabaseKind } from "../storage/database.js";
import { newEncryptionKeyText, parseEncryptionKeys, type EncryptionKey } from "./encryption-keys.js";

/** Where the keys that encrypt stored credentials come from. */
export type EncryptionConfig =
  /** PODS_ENCRYPTION_KEY or PODS_ENCRYPTION_KEY_FILE, read and checked at start. */
  | { source: "configured"; keys: EncryptionKey[] }
  /** Embedded default (SQLite): a key file in the data folder, generated on first start. */
  | { source: "data-folder"; file: string };

/**
 * Reads PODS_ENCRYPTION_KEY or PODS_ENCRYPTION_KEY_FILE (see
 * parseEncryptionKeys for the format). Without either, an SQLite installation
 * keeps a generated key in `<data>/encryption.key`; a MySQL one is refused,
 * since its replicas must share one key and a per-replica file cannot be.
 * Problems are recorded on `env`, naming the variable but never the key.
 */
export function readEncryptionConfig(env: EnvReader, dataDir: string, database: DatabaseKind): EncryptionConfig {
  const value = env.optionalString("PODS_ENCRYPTION_KEY");
  const file = env.optionalString("PODS_ENCRYPTION_KEY_FILE");
  const none: EncryptionConfig = { source: "configured", keys: [] };
  if (value && file) {
    env.invalid("PODS_ENCRYPTION_KEY", "set it or PODS_ENCRYPTION_KEY_FILE, not both");
    return none;
  }
  if (value) return configured(env, "PODS_ENCRYPTION_KEY", value);
  if (file) {
    try {
      return configured(env, "PODS_ENCRYPTION_KEY_FILE", readFileSync(file, "utf8"), file);
    } catch (error) {
      env.invalid("PODS_ENCRYPTION_KEY_FILE", `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      return none;
    }
  }
  if (database === "mysql") {
    env.invalid("PODS_ENCRYPTION_KEY", "is required with a MySQL/MariaDB database: every replica must encrypt with the same key (or set PODS_ENCRYPTION_KEY_FILE)");
    return none;
  }
  return { source: "data-folder", file: join(dataDir, "encryption.key") };
}

function configured(env: EnvReader, name: string, text: string, file?: string): EncryptionConfig {
  const keys = parseEncryptionKeys(text);
  if ("error" in keys) {
    env.invalid(name, file ? `${file}: ${keys.error}` : keys.error);
    return { source: "configured", keys: [] };
  }
  return { source: "configured", keys };
}

/** The keys, generating the data folder's key file (mode 0600) when it does not exist yet. */
export async function loadEncryptionKeys(config: EncryptionConfig): Promise<EncryptionKey[]> {
  if (config.source === "configured") return config.keys;
  let text: string;
  try {
    text = await readFile(config.file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    text = `${newEncryptionKeyText()}\n`;
    await mkdir(dirname(config.file), { recursive: true, mode: 0o700 });
    // "wx" fails if another process created it meanwhile; then use theirs.
    await writeFile(config.file, text, { mode: 0o600, flag: "wx" }).catch(async (e: NodeJS.ErrnoException) => {
      if (e.code !== "EEXIST") throw e;
      text = await readFile(config.file, "utf8");
    });
  }
  const keys = parseEncryptionKeys(text);
  if ("error" in keys) throw new Error(`${config.file}: ${keys.error} (the key that encrypts stored credentials; restore it from a backup)`);
  return keys;
}
