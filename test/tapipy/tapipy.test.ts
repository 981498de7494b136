import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { pythonRequired, pythonWith, PythonUnavailable } from "../support/python-venv.js";
import { startTestService, type TestService } from "../support/test-service.js";

/**
 * Runs the seed docs' Python quickstart (test/tapipy/quickstart.py) with the
 * real tapipy 1.9.0 SDK against the gateway. tapipy lives in a venv cached
 * outside the repository (test/support/python-venv.ts); without python3 or a
 * reachable package index the suite is skipped, unless PODS_REQUIRE_TAPIPY=1.
 */

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

describe("tapipy 1.9 SDK against the gateway", function () {
  let svc: TestService | undefined;
  let venvPython = "";
  let usersDir: string | undefined;
  const users = {
    alice: `alice-${randomBytes(9).toString("base64url")}`,
    bob: `bob-${randomBytes(9).toString("base64url")}`,
    admin: `admin-${randomBytes(9).toString("base64url")}`,
  };

  before(async function () {
    this.timeout(300_000);
    try {
      venvPython = await pythonWith("tapipy==1.9.0");
    } catch (error) {
      if (!(error instanceof PythonUnavailable) || pythonRequired()) throw error;
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
