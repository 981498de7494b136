import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite from "better-sqlite3";
import { sqliteFiles } from "../support/stored-bytes.js";
import { startTestService, type TestService } from "../support/test-service.js";

/**
 * Pod credentials on disk: the embedded database's files, read raw, never
 * hold a pod's password, while the credentials call still returns it.
 */
describe("pod credentials at rest (embedded SQLite)", function () {
  this.timeout(60_000);
  let dataDir: string;
  let svc: TestService | undefined;

  const start = async () => {
    svc = await startTestService({ PODS_DATA_DIR: dataDir, PODS_DATABASE_URL: `sqlite:${join(dataDir, "pods.db")}` });
    return svc;
  };
  const stop = async () => {
    await svc?.stop();
    svc = undefined;
  };
  const passwordOf = async (service: TestService, podId: string) => {
    const answer = await service.api("GET", `/v3/pods/${podId}/credentials`, { token: await service.token("alice") });
    assert.equal(answer.status, 200, answer.body.message);
    return answer.body.result.user_password as string;
  };
  const filesHolding = async (text: string) =>
    (await sqliteFiles(join(dataDir, "pods.db"))).filter((file) => file.bytes.includes(text)).map((file) => file.where);

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "pods-at-rest-"));
  });
  afterEach(async () => {
    await stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("storesNoPodPasswordInTheDatabaseFiles", async () => {
    const service = await start();
    const token = await service.token("alice");
    assert.equal((await service.api("POST", "/v3/pods", { token, body: { pod_id: "atrest", template: "postgres" } })).status, 200);
    await service.waitForStatus(token, "atrest", "AVAILABLE");
    const password = await passwordOf(service, "atrest");

    assert.ok((await filesHolding("atrest")).length > 0, "the raw files must show the pod's row");
    assert.deepEqual(await filesHolding(password), []);
    await stop();
    assert.deepEqual(await filesHolding(password), [], "nor after the write-ahead log is folded into the database");
  });

  it("encryptsAPasswordAnOlderVersionLeftInPlaintext", async () => {
    const first = await start();
    const token = await first.token("alice");
    await first.api("POST", "/v3/pods", { token, body: { pod_id: "legacy", template: "postgres" } });
    await stop();
    const legacyPassword = "LegacyPlaintextPassword42";
    const sqlite = new BetterSqlite(join(dataDir, "pods.db"));
    sqlite.prepare("UPDATE pod_credentials SET user_password = ? WHERE pod_id = ?").run(legacyPassword, "legacy");
    sqlite.close();
    assert.ok((await filesHolding(legacyPassword)).length > 0, "the older version's row must be on disk before the start");

    const upgraded = await start();
    assert.equal(await passwordOf(upgraded, "legacy"), legacyPassword);
    assert.deepEqual(await filesHolding(legacyPassword), []);
  });
});
