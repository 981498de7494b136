import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseOpenApiOperations, referenceFiles, servedPrefixOf, type Spec } from "../../test/contract/openapi-operations.js";

/**
 * Writes test/contract/reference-operations.json: the operations of the
 * reference OpenAPI files, so the contract tests run wherever the repository
 * is checked out.  Usage: npm run contract:extract -- <reference folder>
 */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const folder = resolve(process.argv[2] ?? process.env.PODS_REFERENCE_DIR ?? join(repoRoot, "../shared/reference"));
const operations: Record<string, Spec> = {};
for (const file of referenceFiles) operations[file] = parseOpenApiOperations(readFileSync(join(folder, file), "utf8"), servedPrefixOf(file));
const target = join(repoRoot, "test/contract/reference-operations.json");
writeFileSync(target, JSON.stringify(operations, null, 1) + "\n");
process.stdout.write(`wrote ${target} from ${folder}\n`);
