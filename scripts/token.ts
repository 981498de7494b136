import { identityDir, readEmbeddedConfig } from "../embedded/config.js";
import { loadOrCreateSigningKey } from "../control-plane/identity/dev-signing-key.js";
import { TokenIssuer } from "../control-plane/identity/token-issuer.js";

/**
 * Prints a dev-tenant access token for a username, signed with the embedded
 * installation's key (the same PODS_DATA_DIR as `npm start`):
 *   export JWT=$(npm run --silent token -- alice)
 */
async function main(): Promise<void> {
  const username = process.argv[2];
  if (!username || process.argv.length > 3) {
    process.stderr.write("usage: npm run --silent token -- <username>\n");
    process.exit(2);
  }
  const config = readEmbeddedConfig(process.env);
  const key = await loadOrCreateSigningKey(identityDir(config));
  const issuer = new TokenIssuer({
    tenantId: config.devTenantId,
    baseUrl: () => config.publicUrl ?? `http://${config.gateway.host}:${config.gateway.port}`,
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
