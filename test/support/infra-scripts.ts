import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** Runs one of scripts/infra/*.sh (e.g. "kafka", "stop") and returns its stdout. */
export async function infra(service: "kafka" | "mariadb" | "kubernetes", command: string): Promise<string> {
  const { stdout } = await promisify(execFile)("bash", [join(repoRoot, "scripts", "infra", `${service}.sh`), command], { timeout: 180_000 });
  return stdout.trim();
}
