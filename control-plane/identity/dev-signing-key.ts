import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createPublicKey } from "node:crypto";
import { exportPKCS8, generateKeyPair, importPKCS8, importSPKI, type CryptoKey } from "jose";

export interface SigningKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicKeyPem: string;
}

/**
 * The embedded dev tenant's RSA key, kept in `<dir>/signing-key.pem` (mode
 * 0600) so tokens stay valid across restarts. Created on first use.
 */
export async function loadOrCreateSigningKey(dir: string): Promise<SigningKey> {
  const file = join(dir, "signing-key.pem");
  let pem: string;
  try {
    pem = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    const pair = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
    pem = await exportPKCS8(pair.privateKey);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // "wx" fails if another process created it meanwhile; then use theirs.
    await writeFile(file, pem, { mode: 0o600, flag: "wx" }).catch(async (e: NodeJS.ErrnoException) => {
      if (e.code !== "EEXIST") throw e;
      pem = await readFile(file, "utf8");
    });
  }
  return signingKeyOf(pem);
}

/** The key an installation already made; a clear error where there is none. */
export async function loadSigningKey(dir: string): Promise<SigningKey> {
  const file = join(dir, "signing-key.pem");
  try {
    return await signingKeyOf(await readFile(file, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    throw new Error(`no service key at ${file}: start the service once with this PODS_DATA_DIR (npm start), or point PODS_DATA_DIR at its data folder`);
  }
}

async function signingKeyOf(pem: string): Promise<SigningKey> {
  const privateKey = await importPKCS8(pem, "RS256");
  const publicKeyPem = createPublicKey(pem).export({ type: "spki", format: "pem" }).toString();
  return { privateKey, publicKey: await importSPKI(publicKeyPem, "RS256"), publicKeyPem };
}
