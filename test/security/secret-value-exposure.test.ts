import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { embeddedClusterId } from "../../embedded/config.js";
import { clusterCommandsTopic, podEventsTopic, type Subscription } from "../../shared/events/event-bus.js";
import { mysqlRows, sqliteFiles, type StoredBytes } from "../support/stored-bytes.js";
import { createTestDatabase, testEncryptionKey, type TestDatabase } from "../support/test-database.js";
import { agentClient, writeAgentTokens } from "../support/agent-client.js";
import { startTestService, type TestService } from "../support/test-service.js";

/**
 * Plants secret values and runs a pod that uses them through the whole
 * flow, keeping every trace the service leaves: each response body, each
 * log line at debug level, each event on the bus, the action logs and the
 * database read raw. A value may appear only where the contract returns it:
 * the value call and, for those who may read the secret, the derived pod
 * with secrets resolved. A secret made unreadable appears nowhere; yet all
 * of them reach the agent, the one place that needs them.
 */
describe("secret values are held only where the contract returns them", function () {
  this.timeout(90_000);
  const podId = "secretmarker";
  const marker = (name: string) => `marker-${name}-${randomBytes(12).toString("hex")}`;
  const own = marker("own");
  const shared = marker("shared");
  const unreadable = marker("unreadable");
  const rotated = marker("rotated");
  const events: StoredBytes[] = [];
  const responses: { where: string; text: string }[] = [];
  const agentToken = "secret-exposure-agent-token";
  let database: TestDatabase | undefined;
  let svc: TestService;
  let subscriptions: Subscription[] = [];

  async function call(who: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; result: any }> {
    const response = await fetch(`${svc.baseUrl}${path}`, {
      method,
      headers: { "X-Tapis-Token": token, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    responses.push({ where: `${who}: ${method} ${path} (${response.status})`, text });
    return { status: response.status, result: (JSON.parse(text) as { result: unknown }).result };
  }

  before(async () => {
    if (process.env.PODS_TEST_MYSQL_URL) database = await createTestDatabase(process.env.PODS_TEST_MYSQL_URL);
    const tokens = await writeAgentTokens("exposure", { [agentToken]: embeddedClusterId });
    svc = await startTestService(
      { PODS_AGENT_TOKENS_FILE: tokens, ...(database ? { PODS_DATABASE_URL: database.url, PODS_ENCRYPTION_KEY: testEncryptionKey } : {}) },
      { logLevel: "debug" },
    );
    const keep = (where: string) => async (message: { key: string; value: Uint8Array }) => {
      events.push({ where: `${where} event ${message.key}`, bytes: Buffer.from(message.value) });
    };
    subscriptions = [
      await svc.service.bus.subscribe(clusterCommandsTopic(embeddedClusterId), "secret-exposure-test", keep(clusterCommandsTopic(embeddedClusterId))),
      await svc.service.bus.subscribe(podEventsTopic, "secret-exposure-test", keep(podEventsTopic)),
    ];
  });
  after(async () => {
    for (const subscription of subscriptions) await subscription.close();
    await svc?.stop();
    await database?.drop();
  });

  it("holdsSecretValuesOnlyInTheValueCallAndTheResolvedDerivedPod", async () => {
    const alice = await svc.token("alice");
    const bob = await svc.token("bob");
    const collaborator = await svc.token("collaborator");
    const waitFor = async (status: string) => {
      const deadline = Date.now() + 10_000;
      while ((await call("alice", alice, "GET", `/v3/pods/${podId}`)).result?.status !== status) {
        if (Date.now() > deadline) throw new Error(`${podId} did not reach ${status}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    };

    assert.equal((await call("alice", alice, "POST", "/v3/pods/secrets", { secret_id: "own_secret", secret_value: own, description: "mine" })).status, 200);
    assert.equal((await call("collaborator", collaborator, "POST", "/v3/pods/secrets", { secret_id: "team_secret", secret_value: shared })).status, 200);
    assert.equal((await call("collaborator", collaborator, "POST", "/v3/pods/secrets/team_secret/permissions", { user: "alice", level: "USER" })).status, 200);
    assert.equal((await call("alice", alice, "POST", "/v3/pods/secrets", { secret_id: "hidden_secret", secret_value: unreadable, readable: false })).status, 200);
    const created = await call("alice", alice, "POST", "/v3/pods", {
      pod_id: podId,
      image: "myapi:latest",
      secret_map: { OWN: "${secret:own_secret}", SHARED: "${secret:collaborator:team_secret}", HIDDEN: "${secret:hidden_secret}" },
      environment_variables: { OWN_VALUE: "${pods:secrets:OWN}", SHARED_URL: "https://user:${pods:secrets:SHARED}@example.org" },
      volume_mounts: { "/etc/app/config.ini": { type: "ephemeral", config_content: "hidden=${pods:secrets:HIDDEN}\nown=${pods:secrets:OWN}\n" } },
    });
    assert.equal(created.status, 200);
    await waitFor("AVAILABLE");

    const agent = agentClient(svc.grpcUrl, agentToken);
    const desired = (await agent.getDesiredPod({ tenantId: "dev", podId })).pod!;
    assert.equal(desired.secretEnvironment.OWN_VALUE, own, "the agent receives the values");
    assert.equal(desired.secretFiles["/etc/app/config.ini"], `hidden=${unreadable}\nown=${own}\n`);

    await call("alice", alice, "GET", `/v3/pods/${podId}`);
    await call("alice", alice, "GET", `/v3/pods/${podId}?include_configs=true`);
    await call("alice", alice, "GET", "/v3/pods");
    await call("alice", alice, "GET", `/v3/pods/${podId}/derived`);
    const resolved = await call("alice", alice, "GET", `/v3/pods/${podId}/derived?resolve_secrets=true`);
    assert.equal(resolved.result.environment_variables.OWN_VALUE, own);
    assert.equal(resolved.result.volume_mounts["/etc/app/config.ini"].config_content, `hidden=\${pods:secrets:HIDDEN}\nown=${own}\n`);
    assert.equal((await call("alice", alice, "GET", "/v3/pods/secrets/own_secret/value")).result.secret_value, own);
    assert.equal((await call("alice", alice, "GET", "/v3/pods/secrets/collaborator_secret_missing/value")).status, 404);
    assert.equal((await call("alice", alice, "GET", "/v3/pods/secrets/team_secret/value")).result.secret_value, shared);
    assert.equal((await call("alice", alice, "GET", "/v3/pods/secrets/hidden_secret/value")).status, 400);
    await call("alice", alice, "GET", "/v3/pods/secrets");
    await call("alice", alice, "GET", "/v3/pods/secrets/own_secret");
    await call("alice", alice, "GET", "/v3/pods/secrets/own_secret/permissions");
    assert.equal((await call("alice", alice, "PUT", "/v3/pods/secrets/own_secret", { description: "still mine" })).status, 200);
    assert.equal((await call("alice", alice, "PUT", "/v3/pods/secrets/hidden_secret", { secret_value: rotated })).status, 200);
    await call("alice", alice, "GET", `/v3/pods/${podId}/logs`);
    assert.equal((await call("alice", alice, "PUT", `/v3/pods/${podId}`, { description: "now with secrets" })).status, 200);
    await call("alice", alice, "GET", `/v3/pods/${podId}/stop`);
    await waitFor("STOPPED");
    await call("alice", alice, "GET", `/v3/pods/${podId}/start`);
    await waitFor("AVAILABLE");
    await call("alice", alice, "GET", `/v3/pods/${podId}/restart`);
    await waitFor("AVAILABLE");
    assert.equal((await call("alice", alice, "POST", `/v3/pods/${podId}/permissions`, { user: "bob", level: "READ" })).status, 200);
    await call("bob", bob, "GET", `/v3/pods/${podId}`);
    await call("bob", bob, "GET", `/v3/pods/${podId}/derived`);
    assert.equal((await call("bob", bob, "GET", `/v3/pods/${podId}/derived?resolve_secrets=true`)).status, 403);
    assert.equal((await call("bob", bob, "GET", "/v3/pods/secrets/own_secret/value")).status, 403);
    assert.equal((await call("alice", alice, "POST", `/v3/pods/${podId}/exec`, { commands: [["printenv", "OWN_VALUE"]] })).status, 200);
    assert.equal((await call("alice", alice, "POST", `/v3/pods/${podId}/save_pod_as_template_tag`, { template_id: "markertemplate", commit_message: "saved" })).status, 200);
    await call("alice", alice, "GET", "/v3/pods/templates/markertemplate/tags?include_configs=true");
    const actionLogs: string[] = (await call("alice", alice, "GET", `/v3/pods/${podId}/logs`)).result.action_logs;

    const stored = database ? await mysqlRows(database.url) : await sqliteFiles(join(svc.dataDir, "pods.db"));
    const logLines = svc.rawLogLines();
    assert.ok(logLines.length > 0 && events.length > 0 && stored.some((s) => s.bytes.includes("own_secret")), "every source was seen");

    const traces = [
      ...responses.map((r) => ({ where: r.where, bytes: Buffer.from(r.text) })),
      ...logLines.map((line, index) => ({ where: `log line ${index}: ${line.slice(0, 120)}`, bytes: Buffer.from(line) })),
      ...events,
      ...actionLogs.map((line) => ({ where: `action log "${line}"`, bytes: Buffer.from(line) })),
      ...stored,
    ];
    const resolvedAnswer = `alice: GET /v3/pods/${podId}/derived?resolve_secrets=true (200)`;
    const allowed: Record<string, string[]> = {
      own: ["alice: GET /v3/pods/secrets/own_secret/value (200)", resolvedAnswer],
      shared: ["alice: GET /v3/pods/secrets/team_secret/value (200)", resolvedAnswer],
      unreadable: [],
      rotated: [],
    };
    for (const [name, value] of [["own", own], ["shared", shared], ["unreadable", unreadable], ["rotated", rotated]] as const) {
      const holders = traces.filter((trace) => trace.bytes.includes(value)).map((trace) => trace.where);
      assert.deepEqual(holders.filter((where) => !allowed[name]!.includes(where)), [], `the ${name} secret leaked`);
      for (const where of allowed[name]!) assert.ok(holders.includes(where), `the ${name} secret must be in ${where}`);
    }
  });
});
