import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/** The environment cannot provide the Python package: a reason to skip rather than fail. */
export class PythonUnavailable extends Error {}

const run = promisify(execFile);
const cacheDir = process.env.PODS_TEST_CACHE || join(homedir(), ".cache", "pods-test");

/**
 * The python of a venv holding `requirement` (e.g. "prometheus-client==0.21.1"),
 * made once and cached outside the repository. Throws PythonUnavailable when
 * there is no python3 with venv, or no package index to install from.
 */
export async function pythonWith(requirement: string): Promise<string> {
  const venvDir = join(cacheDir, `venv-${requirement.replace(/[^A-Za-z0-9.=_-]/g, "_")}`);
  const python = join(venvDir, "bin", "python");
  const marker = join(venvDir, ".installed");
  if (existsSync(marker)) return python;
  try {
    await run("python3", ["--version"], { timeout: 30_000 });
  } catch (error) {
    throw new PythonUnavailable(`python3 is not available (${error instanceof Error ? error.message : String(error)})`);
  }
  await rm(venvDir, { recursive: true, force: true });
  await mkdir(cacheDir, { recursive: true });
  try {
    await run("python3", ["-m", "venv", venvDir], { timeout: 120_000 });
    await run(python, ["-m", "pip", "install", "--disable-pip-version-check", "--retries", "2", "--timeout", "30", requirement], { timeout: 240_000 });
  } catch (error) {
    await rm(venvDir, { recursive: true, force: true });
    throw new PythonUnavailable(`cannot install ${requirement} into a venv: ${String((error as { stderr?: string }).stderr ?? error).trim().split("\n").at(-1)}`);
  }
  await writeFile(marker, `${requirement} installed ${new Date().toISOString()}\n`);
  return python;
}

/** Whether a missing Python package must fail the suite (CI) rather than skip it. */
export function pythonRequired(): boolean {
  return process.env.PODS_REQUIRE_TAPIPY === "1" || process.env.PODS_REQUIRE_PYTHON === "1";
}
