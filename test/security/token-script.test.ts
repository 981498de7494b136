import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startTestService, type TestService } from "../support/test-service.js";

const tokenScript = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "scripts", "token.js");

/** `npm run token`: a token the service running on the same data folder accepts. */
describe("the dev token script", () => {
  let svc: TestService;

  before(async () => {
    svc = await startTestService();
  });
  after(() => svc.stop());

  const mint = (dataDir: string) =>
    promisify(execFile)(process.execPath, [tokenScript, "alice"], { env: { PATH: process.env.PATH ?? "", PODS_DATA_DIR: dataDir } });

  it("mintsATokenTheServiceOnTheSameDataFolderAccepts", async () => {
    const { stdout } = await mint(svc.dataDir);
    const answer = await svc.api("GET", "/v3/pods", { token: stdout.trim() });
    assert.equal(answer.status, 200, answer.body.message);
  });

  it("saysSoAndCreatesNothingWhenTheFolderHoldsNoServiceKey", async () => {
    const empty = await mkdtemp(join(tmpdir(), "pods-no-key-"));
    try {
      await assert.rejects(mint(empty), (error: { code?: number; stderr?: string }) => {
        assert.equal(error.code, 1);
        assert.match(error.stderr ?? "", /no service key at .*signing-key\.pem: start the service/);
        return true;
      });
      assert.deepEqual(await readdir(empty), []);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
