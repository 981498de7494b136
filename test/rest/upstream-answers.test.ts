import assert from "node:assert/strict";
import { join } from "node:path";
import { agentClient, writeAgentTokens } from "../support/agent-client.js";
import { startTestService, type ApiAnswer, type TestService } from "../support/test-service.js";

function assertRefused(answer: ApiAnswer, status: number, pattern: RegExp): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.body.status, "error");
  assert.match(answer.body.message, pattern);
}

/** Answers users script against upstream, and details a reader of the seed docs meets. */
describe("upstream's answers and the seed's details", () => {
  let svc: TestService;
  let alice: string;
  const agentToken = "upstream-answers-agent-token";

  before(async () => {
    const tokens = await writeAgentTokens("upstream", { [agentToken]: "local" });
    svc = await startTestService({ PODS_AGENT_TOKENS_FILE: tokens });
    alice = await svc.token("alice");
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: "docpod", template: "neo4j", description: "My example pod!" } })).status, 200);
    await svc.waitForStatus(alice, "docpod", "AVAILABLE");
  });
  after(() => svc.stop());

  it("refusesAPodUpdateThatChangesNothingWith400", async () => {
    assert.equal((await svc.api("PUT", "/v3/pods/docpod", { token: alice, body: { description: "Updated description" } })).status, 200);
    assertRefused(await svc.api("PUT", "/v3/pods/docpod", { token: alice, body: { description: "Updated description" } }), 400, /^pod 'docpod' is unchanged: description already holds the values given$/);
    assertRefused(await svc.api("PUT", "/v3/pods/docpod", { token: alice, body: {} }), 400, /^pod 'docpod' is unchanged: the request names no field to change$/);
    assertRefused(
      await svc.api("PUT", "/v3/pods/docpod", { token: alice, body: { description: "Updated description", time_to_stop_default: 43200 } }),
      400,
      /^pod 'docpod' is unchanged: description, time_to_stop_default already hold the values given$/,
    );
    const changed = await svc.api("PUT", "/v3/pods/docpod", { token: alice, body: { description: "Updated description", time_to_stop_default: 7200 } });
    assert.equal(changed.status, 200, changed.body.message);
  });

  it("refusesAClusterUpdateThatChangesNothingWith400", async () => {
    const admin = await svc.token("admin");
    assert.equal((await svc.api("PUT", "/v3/pods/clusters/local", { token: admin, body: { description: "the machine under the desk" } })).status, 200);
    assertRefused(await svc.api("PUT", "/v3/pods/clusters/local", { token: admin, body: { description: "the machine under the desk" } }), 400, /^cluster 'local' is unchanged: description already holds the values given$/);
  });

  it("answersAnUploadWithTheDestinationPath", async () => {
    const form = new FormData();
    form.append("file", new Blob(["select 1;\n"]), "file.sql");
    form.append("dest_path", "/tmp/file.sql");
    const response = await fetch(`${svc.baseUrl}/v3/pods/docpod/upload_to_pod`, { method: "POST", headers: { "X-Tapis-Token": alice }, body: form });
    const body = (await response.json()) as { result: unknown; message: string };
    assert.equal(response.status, 200);
    assert.deepEqual(body.result, { uploaded: "/tmp/file.sql" });
    assert.equal(body.message, "Wrote 10 bytes to /tmp/file.sql.");
  });

  it("leavesEphemeralStorageUnlimitedByDefaultAndBoundsIt", async () => {
    const pod = (await svc.api("GET", "/v3/pods/docpod", { token: alice })).body.result;
    assert.equal(pod.resources.ephemeral_storage_request, -1);
    assert.equal(pod.resources.ephemeral_storage_limit, -1);
    const create = (resources: object) => svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: "storagepod", image: "busybox:1", resources } });
    assertRefused(await create({ ephemeral_storage_limit: 0 }), 400, /^resources\.ephemeral_storage_limit: must be between 1 and 102400, or -1 \(unlimited\)$/);
    assertRefused(await create({ ephemeral_storage_request: 102401 }), 400, /^resources\.ephemeral_storage_request: must be between 1 and 102400, or -1 \(unlimited\)$/);
    assertRefused(await create({ ephemeral_storage_request: 4096, ephemeral_storage_limit: 1024 }), 400, /resources\.ephemeral_storage_request: must not exceed ephemeral_storage_limit/);
    const bounded = await create({ ephemeral_storage_request: 1024, ephemeral_storage_limit: -1 });
    assert.equal(bounded.status, 200, bounded.body.message);
    assert.equal(bounded.body.result.resources.ephemeral_storage_request, 1024);
    assert.equal(bounded.body.result.resources.ephemeral_storage_limit, -1);
  });

  it("carriesTheSeedsTopLevelUrlBesideNetworking", async () => {
    const created = await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: "urlpod", template: "neo4j" } });
    assert.equal(created.body.result.url, "urlpod.pods.dev.localhost");
    assert.equal(created.body.result.url, created.body.result.networking.default.url);
    assert.equal((await svc.api("GET", "/v3/pods/urlpod", { token: alice })).body.result.url, "urlpod.pods.dev.localhost");
    const postgres = await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: "nodefault", template: "postgres" } });
    assert.equal(postgres.body.result.url, "", "no networking entry named default");
  });

  it("logsTheBuiltInNeo4jInWithTheCredentialsTheCredentialsCallReturns", async () => {
    const credentials = (await svc.api("GET", "/v3/pods/docpod/credentials", { token: alice })).body.result;
    assert.equal(credentials.user_username, "docpod");
    const agent = agentClient(svc.grpcUrl, agentToken);
    const desired = (await agent.getDesiredPod({ tenantId: "dev", podId: "docpod" })).pod!;
    // The container creates the user the credentials name, with their password, once Neo4j answers.
    assert.equal(desired.secretEnvironment.PODS_NEO4J_USER, credentials.user_username);
    assert.equal(desired.secretEnvironment.PODS_NEO4J_PASSWORD, credentials.user_password);
    const script = desired.command.join(" ");
    assert.match(script, /\/startup\/docker-entrypoint\.sh neo4j &/);
    assert.match(script, /CREATE OR REPLACE USER `\$PODS_NEO4J_USER` SET PLAINTEXT PASSWORD '\$PODS_NEO4J_PASSWORD' CHANGE NOT REQUIRED/);
    assert.equal(desired.secretEnvironment.NEO4J_AUTH, `neo4j/${credentials.user_password}`, "Neo4j's own admin shares the password");
  });

  describe("the dev identity provider's profiles", () => {
    it("answersGetProfileAsTheAuthenticatorShapesIt", async () => {
      const answer = await svc.api("GET", "/v3/oauth2/profiles/alice", { token: alice });
      assert.equal(answer.status, 200, answer.body.message);
      assert.deepEqual(Object.keys(answer.body), ["message", "metadata", "result", "status", "version"]);
      assert.equal(answer.body.result.username, "alice");
      assert.equal(typeof answer.body.result.email, "string");
      assert.equal(typeof answer.body.result.name, "string");
    });

    it("answers404ForAUserItDoesNotHaveAnd401WithoutAToken", async () => {
      assertRefused(await svc.api("GET", "/v3/oauth2/profiles/nosuchuser", { token: alice }), 404, /^profile 'nosuchuser' not found$/);
      assertRefused(await svc.api("GET", "/v3/oauth2/profiles/alice"), 401, /X-Tapis-Token header is required/);
    });
  });
});
