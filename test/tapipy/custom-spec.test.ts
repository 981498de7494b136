import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { pythonRequired, pythonWith, PythonUnavailable } from "../support/python-venv.js";
import { startTestService, type TestService } from "../support/test-service.js";

const script = join(resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", ".."), "test", "tapipy", "custom_spec.py");

/** tapipy 1.9 builds its client from the OpenAPI document the gateway serves, and calls get_pod through it. */
describe("tapipy with the served OpenAPI document as its spec", function () {
  this.timeout(300_000);
  let svc: TestService;
  let python: string;
  let dir: string;

  before(async function () {
    try {
      python = await pythonWith("tapipy==1.9.0");
    } catch (error) {
      if (!(error instanceof PythonUnavailable) || pythonRequired()) throw error;
      console.log(`  (skipped: ${error.message}; set PODS_REQUIRE_PYTHON=1 to make this a failure)`);
      this.skip();
    }
    dir = await mkdtemp(join(tmpdir(), "pods-custom-spec-"));
    await writeFile(join(dir, "users.json"), JSON.stringify({ carol: "carol-password-1" }), { mode: 0o600 });
    svc = await startTestService({ PODS_DEV_USERS: join(dir, "users.json") });
  });
  after(async () => {
    await svc?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("callsGetPodThroughTheServedSpec", async () => {
    const token = await svc.token("carol");
    assert.equal((await svc.api("POST", "/v3/pods", { token, body: { pod_id: "specpod", image: "busybox" } })).status, 200);
    const specFile = join(dir, "openapi.yaml");
    await writeFile(specFile, await (await fetch(`${svc.baseUrl}/v3/pods/openapi.yaml`)).text());
    const noProxy = "127.0.0.1,localhost";
    const { stdout } = await promisify(execFile)(python, [script, svc.baseUrl, specFile, "carol", "carol-password-1", "specpod"], {
      env: { ...process.env, NO_PROXY: noProxy, no_proxy: noProxy },
      timeout: 120_000,
    });
    assert.match(stdout, /custom spec get_pod: specpod (REQUESTED|SPAWNING|AVAILABLE)/);
  });
});
