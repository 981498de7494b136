import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ValidateFunction } from "ajv";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const schemaFile = "traefik-v3-dynamic-config.schema.json";

let compiled: ValidateFunction | null | undefined;

/**
 * Traefik v3's published JSON Schema of dynamic configuration (SchemaStore's
 * traefik-v3-file-provider.json, draft-07) from the reference folder
 * (PODS_REFERENCE_DIR, default ../shared/reference beside the clone),
 * compiled with ajv; null when the folder is missing, unless
 * PODS_REQUIRE_REFERENCE=1 demands it.
 */
export function traefikSchema(): ValidateFunction | null {
  if (compiled !== undefined) return compiled;
  const file = join(process.env.PODS_REFERENCE_DIR || resolve(repoRoot, "../shared/reference"), schemaFile);
  if (!existsSync(file)) {
    if (process.env.PODS_REQUIRE_REFERENCE === "1") throw new Error(`no ${schemaFile} at ${file}, and PODS_REQUIRE_REFERENCE=1 requires it`);
    compiled = null;
    return compiled;
  }
  // Not strict: the published schema carries annotations ajv does not know.
  compiled = new Ajv({ strict: false, allErrors: true }).compile(JSON.parse(readFileSync(file, "utf8")));
  return compiled;
}

/** Fails unless `config` is valid Traefik v3 dynamic configuration (when the schema is at hand). */
export function assertValidTraefikConfig(config: unknown): void {
  const validate = traefikSchema();
  if (!validate) return;
  if (!validate(config)) {
    throw new Error(`not valid Traefik v3 dynamic configuration: ${JSON.stringify(validate.errors, null, 1).slice(0, 2000)}\n${JSON.stringify(config).slice(0, 2000)}`);
  }
}
