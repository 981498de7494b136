import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { startTestService, type TestService } from "../support/test-service.js";

/** "0700 dir" or "0600 file", for every entry under (and including) `root`. */
async function modesUnder(root: string): Promise<Record<string, string>> {
  const modes: Record<string, string> = {};
  const visit = async (path: string) => {
    const info = await stat(path);
    modes[relative(root, path) || "."] = `${(info.mode & 0o777).toString(8).padStart(4, "0")} ${info.isDirectory() ? "dir" : "file"}`;
    if (info.isDirectory()) for (const name of await readdir(path)) await visit(join(path, name));
  };
  await visit(root);
  return modes;
}

/** The entries whose mode lets anyone but the service's own user in. */
function openToOthers(modes: Record<string, string>): string[] {
  return Object.entries(modes)
    .filter(([, mode]) => mode !== "0700 dir" && mode !== "0600 file")
    .map(([path, mode]) => `${path}: ${mode}`);
}

/**
 * The data folder holds the database, its encryption key, the dev identity's
 * signing key and users, and upload spools: only the service's user may
 * enter it or read them.
 */
describe("the data folder is private to the service's user", function () {
  this.timeout(60_000);
  let parent: string;
  let dataDir: string;
  let svc: TestService | undefined;

  const start = async () => {
    svc = await startTestService({ PODS_DATA_DIR: dataDir, PODS_DATABASE_URL: `sqlite:${join(dataDir, "pods.db")}` });
    const token = await svc.token("alice");
    // A pod, so the database has written its log and index files too.
    await svc.api("POST", "/v3/pods", { token, body: { pod_id: `modes${Date.now()}`, template: "postgres" } });
    return svc;
  };

  beforeEach(async () => {
    parent = await mkdtemp(join(tmpdir(), "pods-modes-"));
    dataDir = join(parent, "data");
  });
  afterEach(async () => {
    await svc?.stop();
    svc = undefined;
    await rm(parent, { recursive: true, force: true });
  });

  it("createsTheFolderAndEveryFileInItPrivate", async () => {
    await start();
    const modes = await modesUnder(dataDir);
    for (const expected of ["pods.db", "pods.db-wal", "pods.db-shm", "encryption.key", "dev-users.json", "identity/signing-key.pem", "upload-spool"]) {
      assert.ok(modes[expected], `${expected} must exist; found ${Object.keys(modes).join(", ")}`);
    }
    assert.deepEqual(openToOthers(modes), []);
  });

  it("tightensAFolderAnOlderVersionLeftOpen", async () => {
    await start();
    await svc!.stop();
    svc = undefined;
    await mkdir(join(dataDir, "upload-spool", "pods-upload-old"), { recursive: true });
    await writeFile(join(dataDir, "upload-spool", "pods-upload-old", "file"), "left over");
    const loosen = async (path: string) => {
      const info = await stat(path);
      await chmod(path, info.isDirectory() ? 0o755 : 0o644);
      if (info.isDirectory()) for (const name of await readdir(path)) await loosen(join(path, name));
    };
    await loosen(dataDir);
    assert.ok(openToOthers(await modesUnder(dataDir)).includes(".: 0755 dir"));

    await start();
    assert.deepEqual(openToOthers(await modesUnder(dataDir)), []);
  });
});
