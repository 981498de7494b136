import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startTestService, type TestService } from "../support/test-service.js";

/**
 * Runs the seed docs' Python quickstart (test/tapipy/quickstart.py) with the
 * real tapipy 1.9.0 SDK against the gateway. tapipy lives in a venv cached
 * outside the repository; without python3 or a reachable package index the
 * suite is skipped, unless PODS_REQUIRE_TAPIPY=1.
 */

const tapipyVersion = "1.9.0";
const cacheDir = process.env.PODS_TEST_CACHE || join(homedir(), ".cache", "pods-test");
const venvDir = join(cacheDir, `tapipy-${tapipyVersion}-venv`);
const venvPython = join(venvDir, "bin", "python");
const installedMarker = join(venvDir, `.tapipy-${tapipyVersion}-installed`);
// dist/test/tapipy/tapipy.test.js -> repository root -> test/tapipy/quickstart.py
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const scriptsDir = join(repoRoot, "test", "tapipy");
const quickstartScript = join(scriptsDir, "quickstart.py");

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the program could not be started (e.g. ENOENT). */
  spawnError?: NodeJS.ErrnoException;
  timedOut: boolean;
}

function run(command: string, args: string[], options: { timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  return new Promise((done) => {
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    child.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      done({ code: null, stdout, stderr, spawnError: error, timedOut });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, timedOut });
    });
  });
}

function describeRun(what: string, result: RunResult): string {
  const status = result.spawnError
    ? `could not start: ${result.spawnError.message}`
    : result.timedOut
      ? "timed out"
      : `exited with ${result.code}`;
  return `${what} ${status}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}

/** pip's messages when no package index (or proxy) can be reached. */
const offlinePatterns = [
  /Failed to establish a new connection/i,
  /Temporary failure in name resolution/i,
  /Name or service not known/i,
  /Network is unreachable/i,
  /Max retries exceeded/i,
  /ProxyError/i,
  /ConnectTimeoutError|Read timed out|ReadTimeoutError/i,
  /Could not find a version that satisfies the requirement tapipy/i,
  /No matching distribution found for tapipy/i,
];

/** The environment cannot provide tapipy: a reason to skip rather than fail. */
class Unavailable extends Error {}

async function tapipyImports(): Promise<boolean> {
  if (!existsSync(installedMarker)) return false;
  const check = await run(venvPython, ["-c", `import tapipy.tapis, importlib.metadata as m; assert m.version("tapipy") == "${tapipyVersion}"`], {
    timeoutMs: 60_000,
  });
  return check.code === 0;
}

/** Makes sure the cached venv has tapipy; returns a note on what it did. Throws Unavailable or Error. */
async function ensureTapipy(): Promise<string> {
  const version = await run("python3", ["--version"], { timeoutMs: 30_000 });
  if (version.spawnError || version.code !== 0) throw new Unavailable(`python3 is not available (${version.spawnError?.message ?? `exit ${version.code}`})`);
  const started = Date.now();
  if (await tapipyImports()) return `tapipy ${tapipyVersion} venv reused from ${venvDir} (checked in ${Date.now() - started} ms)`;

  await rm(venvDir, { recursive: true, force: true });
  await mkdir(cacheDir, { recursive: true });
  const venv = await run("python3", ["-m", "venv", venvDir], { timeoutMs: 120_000 });
  if (venv.code !== 0) {
    await rm(venvDir, { recursive: true, force: true });
    const text = venv.stdout + venv.stderr;
    if (/ensurepip is not available|No module named venv|python3-venv/i.test(text)) {
      throw new Unavailable(`python3 cannot create a venv (the venv/ensurepip module is missing): ${text.trim().split("\n").at(-1)}`);
    }
    throw new Error(describeRun("python3 -m venv", venv));
  }
  const pip = await run(
    venvPython,
    ["-m", "pip", "install", "--disable-pip-version-check", "--retries", "2", "--timeout", "30", `tapipy==${tapipyVersion}`],
    { timeoutMs: 240_000 },
  );
  if (pip.code !== 0 || pip.timedOut) {
    await rm(venvDir, { recursive: true, force: true });
    const text = pip.stdout + pip.stderr;
    if (pip.timedOut || offlinePatterns.some((pattern) => pattern.test(text))) {
      const line = text.split("\n").find((l) => offlinePatterns.some((pattern) => pattern.test(l))) ?? "pip timed out";
      throw new Unavailable(`pip cannot install tapipy==${tapipyVersion} from a package index: ${line.trim().slice(0, 300)}`);
    }
    throw new Error(describeRun(`pip install tapipy==${tapipyVersion}`, pip));
  }
  await writeFile(installedMarker, `tapipy ${tapipyVersion} installed ${new Date().toISOString()}\n`);
  if (!(await tapipyImports())) throw new Error(`tapipy ${tapipyVersion} was installed into ${venvDir} but does not import`);
  return `tapipy ${tapipyVersion} installed into ${venvDir} in ${((Date.now() - started) / 1000).toFixed(1)} s`;
}

describe("tapipy 1.9 SDK against the gateway", function () {
  let svc: TestService | undefined;
  let usersDir: string | undefined;
  const users = {
    alice: `alice-${randomBytes(9).toString("base64url")}`,
    bob: `bob-${randomBytes(9).toString("base64url")}`,
    admin: `admin-${randomBytes(9).toString("base64url")}`,
  };

  before(async function () {
    this.timeout(300_000);
    try {
      console.log(`  (${await ensureTapipy()})`);
    } catch (error) {
      if (!(error instanceof Unavailable)) throw error;
      if (process.env.PODS_REQUIRE_TAPIPY === "1") throw new Error(`PODS_REQUIRE_TAPIPY=1 but ${error.message}`);
      console.log(`  (skipped: ${error.message}; set PODS_REQUIRE_TAPIPY=1 to make this a failure)`);
      this.skip();
    }
    assert.ok(existsSync(quickstartScript), `quickstart script not found at ${quickstartScript}`);
    usersDir = await mkdtemp(join(tmpdir(), "pods-tapipy-users-"));
    const usersFile = join(usersDir, "users.json");
    await writeFile(usersFile, JSON.stringify(users, null, 2) + "\n", { mode: 0o600 });
    svc = await startTestService({ PODS_DEV_USERS: usersFile });
  });

  after(async () => {
    await svc?.stop();
    if (usersDir) await rm(usersDir, { recursive: true, force: true });
  });

  /** Runs one of test/tapipy's scripts against the service; it prints `passedLine` when every step held. */
  async function runScript(script: string, args: string[], passedLine: string): Promise<void> {
    assert.ok(svc);
    const noProxy = [process.env.NO_PROXY ?? process.env.no_proxy, "127.0.0.1", "localhost"].filter(Boolean).join(",");
    const result = await run(venvPython, [join(scriptsDir, script), svc.baseUrl, ...args], {
      timeoutMs: 120_000,
      env: { ...process.env, PYTHONUNBUFFERED: "1", NO_PROXY: noProxy, no_proxy: noProxy },
    });
    assert.equal(result.code, 0, describeRun(script, result));
    assert.ok(result.stdout.split("\n").includes(passedLine), describeRun(script, result));
  }

  it("runsTheDocumentedPythonQuickstart", async function () {
    this.timeout(150_000);
    await runScript("quickstart.py", ["alice", users.alice, "bob", users.bob], "quickstart passed");
  });

  it("runsTheSeedsTemplateImageAndSecretExamples", async function () {
    this.timeout(150_000);
    await runScript("templates_images_secrets.py", ["alice", users.alice, "admin", users.admin], "templates, images and secrets passed");
  });

  it("runsTheDocumentedVolumeAndSnapshotExamples", async function () {
    this.timeout(150_000);
    await runScript("volumes.py", ["bob", users.bob], "volumes passed");
  });
});
