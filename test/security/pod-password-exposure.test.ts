import assert from "node:assert/strict";
import { join } from "node:path";
import { embeddedClusterId } from "../../embedded/config.js";
import { clusterCommandsTopic, podEventsTopic, type Subscription } from "../../shared/events/event-bus.js";
import { mysqlRows, sqliteFiles, type StoredBytes } from "../support/stored-bytes.js";
import { createTestDatabase, testEncryptionKey, type TestDatabase } from "../support/test-database.js";
import { startTestService, type TestService } from "../support/test-service.js";

/**
 * Runs the documented pod flow on a pod whose environment receives its
 * generated passwords, keeping every trace the service leaves: each response
 * body, each log line at debug level, each event on the bus, the action logs
 * and the database. The passwords may appear only where the contract returns
 * them: the credentials call and the derived pod to those who may see
 * credentials (USER and up), with or without resolve_secrets.
 */
describe("pod passwords are held only where the contract returns them", function () {
  this.timeout(60_000);
  const podId = "markerpod";
  const events: StoredBytes[] = [];
  const responses: { where: string; text: string }[] = [];
  let database: TestDatabase | undefined;
  let svc: TestService;
  let subscriptions: Subscription[] = [];
  let alice: string;
  let bob: string;

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

  async function waitFor(status: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while ((await call("alice", alice, "GET", `/v3/pods/${podId}`)).result?.status !== status) {
      if (Date.now() > deadline) throw new Error(`${podId} did not reach ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  before(async () => {
    if (process.env.PODS_TEST_MYSQL_URL) database = await createTestDatabase(process.env.PODS_TEST_MYSQL_URL);
    svc = await startTestService(database ? { PODS_DATABASE_URL: database.url, PODS_ENCRYPTION_KEY: testEncryptionKey } : {}, {
      logLevel: "debug",
    });
    const keep = (where: string) => async (message: { key: string; value: Uint8Array }) => {
      events.push({ where: `${where} event ${message.key}`, bytes: Buffer.from(message.value) });
    };
    subscriptions = [
      await svc.service.bus.subscribe(clusterCommandsTopic(embeddedClusterId), "exposure-test", keep(clusterCommandsTopic(embeddedClusterId))),
      await svc.service.bus.subscribe(podEventsTopic, "exposure-test", keep(podEventsTopic)),
    ];
    alice = await svc.token("alice");
    bob = await svc.token("bob");
  });
  after(async () => {
    for (const subscription of subscriptions) await subscription.close();
    await svc?.stop();
    await database?.drop();
  });

  it("holdsThePodPasswordsOnlyInTheCredentialsAndResolvedAnswers", async () => {
    const environment = {
      APP_PASSWORD: "<<tapissecret_user_password>>",
      APP_DSN: "postgres://<<tapissecret_user_username>>:<<tapissecret_user_password>>@localhost/app",
      SERVICE_PASSWORD: "<<TAPIS_service_password>>",
    };
    assert.equal((await call("alice", alice, "POST", "/v3/pods", { pod_id: podId, template: "postgres", environment_variables: environment })).status, 200);
    await waitFor("AVAILABLE");
    const credentials = await call("alice", alice, "GET", `/v3/pods/${podId}/credentials`);
    const resolved = await call("alice", alice, "GET", `/v3/pods/${podId}/derived?resolve_secrets=true`);
    const userPassword: string = credentials.result.user_password;
    const servicePassword: string = resolved.result.environment_variables.SERVICE_PASSWORD;
    assert.match(userPassword, /^\S{16,}$/);
    assert.match(servicePassword, /^\S{16,}$/);
    assert.equal(resolved.result.environment_variables.APP_PASSWORD, userPassword);

    await call("alice", alice, "GET", `/v3/pods/${podId}`);
    await call("alice", alice, "GET", "/v3/pods");
    await call("alice", alice, "GET", `/v3/pods/${podId}/derived`);
    await call("alice", alice, "GET", `/v3/pods/${podId}/logs`);
    const update = { description: "now with more secrets", environment_variables: { ...environment, ANOTHER: "<<tapissecret_service_password>>" } };
    assert.equal((await call("alice", alice, "PUT", `/v3/pods/${podId}`, update)).status, 200);
    await call("alice", alice, "GET", `/v3/pods/${podId}/stop`);
    await waitFor("STOPPED");
    await call("alice", alice, "GET", `/v3/pods/${podId}/start`);
    await waitFor("AVAILABLE");
    await call("alice", alice, "GET", `/v3/pods/${podId}/restart`);
    await waitFor("AVAILABLE");
    assert.equal((await call("alice", alice, "POST", `/v3/pods/${podId}/permissions`, { user: "bob", level: "READ" })).status, 200);
    await call("alice", alice, "GET", `/v3/pods/${podId}/permissions`);
    await call("bob", bob, "GET", `/v3/pods/${podId}`);
    assert.match((await call("bob", bob, "GET", `/v3/pods/${podId}/derived`)).result.environment_variables.APP_PASSWORD, /^<<tapissecret_user_password>>$/);
    assert.equal((await call("bob", bob, "GET", `/v3/pods/${podId}/derived?resolve_secrets=true`)).status, 403);
    assert.equal((await call("bob", bob, "GET", `/v3/pods/${podId}/credentials`)).status, 403);
    assert.equal((await call("alice", alice, "POST", `/v3/pods/${podId}/exec`, { commands: [["printenv", "APP_PASSWORD"], "echo $SERVICE_PASSWORD"] })).status, 200);
    const form = new FormData();
    form.append("file", new Blob([Buffer.from("some bytes")]), "notes.txt");
    form.append("dest_path", "/tmp/notes.txt");
    const upload = await fetch(`${svc.baseUrl}/v3/pods/${podId}/upload_to_pod`, { method: "POST", body: form, headers: { "X-Tapis-Token": alice } });
    responses.push({ where: `alice: POST /v3/pods/${podId}/upload_to_pod (${upload.status})`, text: await upload.text() });
    assert.equal(upload.status, 200);
    const logs = await call("alice", alice, "GET", `/v3/pods/${podId}/logs`);
    const actionLogs: string[] = logs.result.action_logs;
    assert.ok(actionLogs.length >= 5, "the action logs must record the flow");

    const stored = database ? await mysqlRows(database.url) : await sqliteFiles(join(svc.dataDir, "pods.db"));
    const logLines = svc.rawLogLines();
    // Each source must have been seen, or finding nothing in it would prove nothing.
    assert.ok(logLines.length > 0 && events.length > 0 && stored.some((s) => s.bytes.includes(podId)));

    const traces = [
      ...responses.map((r) => ({ where: r.where, bytes: Buffer.from(r.text) })),
      ...logLines.map((line, index) => ({ where: `log line ${index}: ${line.slice(0, 120)}`, bytes: Buffer.from(line) })),
      ...events,
      ...actionLogs.map((line) => ({ where: `action log "${line}"`, bytes: Buffer.from(line) })),
      ...stored,
    ];
    const allowed = [`alice: GET /v3/pods/${podId}/credentials (200)`, `alice: GET /v3/pods/${podId}/derived?resolve_secrets=true (200)`, `alice: GET /v3/pods/${podId}/derived (200)`];
    for (const [name, password] of [["user password", userPassword], ["service password", servicePassword]] as const) {
      const holders = traces.filter((trace) => trace.bytes.includes(password)).map((trace) => trace.where);
      assert.deepEqual(holders.filter((where) => !allowed.includes(where)), [], `the ${name} leaked`);
      assert.ok(holders.includes(allowed[1]!), `the ${name} must be in the resolved derived pod`);
    }
    assert.ok(responses.find((r) => r.where === allowed[0])!.text.includes(userPassword));
  });
});
