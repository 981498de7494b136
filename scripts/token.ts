import { identityDir, readEmbeddedConfig } from "../embedded/config.js";
import { loadSigningKey } from "../control-plane/identity/dev-signing-key.js";
import { readDevTenantFile } from "../control-plane/identity/dev-tenant-file.js";
import { TokenIssuer } from "../control-plane/identity/token-issuer.js";

/**
 * Prints a dev-tenant access token for a username, signed with the key of the
 * installation whose data folder PODS_DATA_DIR names (as `npm start` uses it)
 * and naming the issuer that installation checks:
 *   export JWT=$(npm run --silent token -- alice)
 */
async function main(): Promise<void> {
  const username = process.argv[2];
  if (!username || process.argv.length > 3) {
    process.stderr.write("usage: npm run --silent token -- <username>\n");
    process.exit(2);
  }
  const dir = identityDir(readEmbeddedConfig(process.env));
  const key = await loadSigningKey(dir);
  const tenant = await readDevTenantFile(dir);
  const issuer = new TokenIssuer({
    tenantId: tenant.tenantId,
    baseUrl: () => tenant.baseUrl,
    privateKey: key.privateKey,
    publicKey: key.publicKey,
    accessTtlSeconds: 4 * 3600,
    refreshTtlSeconds: 24 * 3600,
  });
  process.stdout.write(`${(await issuer.access(username, "password")).token}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
