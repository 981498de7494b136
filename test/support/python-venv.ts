import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

/** The environment cannot provide the Python package: a reason to skip rather than fail. */
export class PythonUnavailable extends Error {}

const cacheDir = process.env.PODS_TEST_CACHE || join(homedir(), ".cache", "pods-test");

/** pip's messages when no package index (or proxy) can be reached, or it lacks the package. */
const offlinePatterns = [
  /Failed to establish a new connection/i,
  /Temporary failure in name resolution/i,
  /Name or service not known/i,
  /Network is unreachable/i,
  /Max retries exceeded/i,
  /ProxyError/i,
  /ConnectTimeoutError|Read timed out|ReadTimeoutError/i,
  /Could not find a version that satisfies the requirement/i,
  /No matching distribution found/i,
];

interface Ran {
  code: number | null;
  output: string;
  /** Set when the program could not be started (e.g. ENOENT) or ran out of time. */
  failure?: string;
}

function run(command: string, args: string[], timeoutMs: number): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if (!error) return resolve({ code: 0, output });
      const failed = error as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
      if (typeof failed.code === "number") return resolve({ code: failed.code, output });
      resolve({ code: null, output, failure: failed.killed ? "timed out" : failed.message });
    });
  });
}

/** The last line of a program's output that says why it failed. */
function reasonIn(ran: Ran): string {
  const line = ran.output.split("\n").find((l) => offlinePatterns.some((pattern) => pattern.test(l))) ?? ran.failure ?? ran.output.trim().split("\n").at(-1) ?? "";
  return line.trim().slice(0, 300);
}

/**
 * The python of a venv holding `requirement` ("name==version"), made once and
 * cached outside the repository, checked to import that version. Throws
 * PythonUnavailable when the machine cannot provide it (no python3, no venv
 * module, no package index); any other failure is an Error.
 */
export async function pythonWith(requirement: string): Promise<string> {
  const [name, version] = requirement.split("==");
  const venvDir = join(cacheDir, `venv-${requirement.replace(/[^A-Za-z0-9.=_-]/g, "_")}`);
  const python = join(venvDir, "bin", "python");
  const marker = join(venvDir, ".installed");
  const imports = async () =>
    existsSync(marker) && (await run(python, ["-c", `import importlib.metadata as m; assert m.version("${name}") == "${version}"`], 60_000)).code === 0;

  const python3 = await run("python3", ["--version"], 30_000);
  if (python3.code !== 0) throw new PythonUnavailable(`python3 is not available (${python3.failure ?? `exit ${python3.code}`})`);
  if (await imports()) return python;

  await rm(venvDir, { recursive: true, force: true });
  await mkdir(cacheDir, { recursive: true });
  const venv = await run("python3", ["-m", "venv", venvDir], 120_000);
  if (venv.code !== 0) {
    await rm(venvDir, { recursive: true, force: true });
    if (/ensurepip is not available|No module named venv|python3-venv/i.test(venv.output)) throw new PythonUnavailable(`python3 cannot create a venv: ${reasonIn(venv)}`);
    throw new Error(`python3 -m venv failed: ${venv.output}`);
  }
  const pip = await run(python, ["-m", "pip", "install", "--disable-pip-version-check", "--retries", "2", "--timeout", "30", requirement], 240_000);
  if (pip.code !== 0) {
    await rm(venvDir, { recursive: true, force: true });
    if (pip.failure === "timed out" || offlinePatterns.some((pattern) => pattern.test(pip.output))) {
      throw new PythonUnavailable(`pip cannot install ${requirement} from a package index: ${reasonIn(pip)}`);
    }
    throw new Error(`pip install ${requirement} failed: ${pip.output}`);
  }
  await writeFile(marker, `${requirement} installed ${new Date().toISOString()}\n`);
  if (!(await imports())) throw new Error(`${requirement} was installed into ${venvDir} but does not import`);
  return python;
}

/** Whether a missing Python package must fail the suite (CI) rather than skip it. */
export function pythonRequired(): boolean {
  return process.env.PODS_REQUIRE_TAPIPY === "1" || process.env.PODS_REQUIRE_PYTHON === "1";
}
