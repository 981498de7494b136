import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startChildService, type ChildService } from "../support/child-service.js";
import { createTestDatabase, testEncryptionKey, type TestDatabase } from "../support/test-database.js";

describe("crash safety: a change committed before a crash still reaches the cluster", () => {
  let dataDir: string;
  let database: TestDatabase | undefined;
  let running: ChildService | undefined;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "pods-crash-"));
    await writeFile(join(dataDir, "users.json"), JSON.stringify({ alice: "alice-password" }));
    if (process.env.PODS_TEST_MYSQL_URL) database = await createTestDatabase(process.env.PODS_TEST_MYSQL_URL);
  });
  after(async () => {
    await running?.kill();
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const env = (relay: boolean) => ({
    PODS_DATA_DIR: dataDir,
    PODS_DEV_USERS: join(dataDir, "users.json"),
    PODS_HTTP_PORT: "0",
    PODS_GRPC_PORT: "0",
    PODS_SIMULATED_STARTUP_MS: "20",
    // With resync off, only the outbox can tell the agent about the pod.
    PODS_AGENT_RESYNC_SECONDS: "0",
    PODS_OUTBOX_RELAY: String(relay),
    ...(database ? { PODS_DATABASE_URL: database.url, PODS_ENCRYPTION_KEY: testEncryptionKey } : {}),
  });

  // Tokens name the service's URL as issuer; a restart on another port needs a new login.
  const login = async (service: ChildService) => {
    const answer = await service.api("POST", "/v3/oauth2/tokens", { body: { username: "alice", password: "alice-password", grant_type: "password" } });
    return answer.body.result.access_token.access_token as string;
  };

  it("deliversTheOutboxAfterTheProcessIsKilledBetweenCommitAndAgentReaction", async () => {
    running = await startChildService(env(false));
    let token = await login(running);
    const created = await running.api("POST", "/v3/pods", { token, body: { pod_id: "crashpod", template: "neo4j" } });
    assert.equal(created.status, 200);
    assert.equal(created.body.result.status, "REQUESTED");
    const logs = await running.api("GET", "/v3/pods/crashpod/logs", { token });
    assert.ok(!logs.body.result.action_logs.some((line: string) => line.includes("SPAWNING")), "the agent must not have seen the pod yet");

    await running.kill();
    running = await startChildService(env(true));
    token = await login(running);

    const deadline = Date.now() + 20_000;
    let status = "";
    while (Date.now() < deadline && status !== "AVAILABLE") {
      status = (await running.api("GET", "/v3/pods/crashpod", { token })).body.result?.status;
      if (status !== "AVAILABLE") await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(status, "AVAILABLE", running.output());
    await running.stop();
    running = undefined;
  });
});
