import assert from "node:assert/strict";
import type { DesiredPod } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { eventually } from "../support/eventually.js";
import { agentClient, writeAgentTokens } from "../support/agent-client.js";
import { startTestService, type ApiAnswer, type TestService } from "../support/test-service.js";

function assertRefused(answer: ApiAnswer, status: number, pattern: RegExp): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.body.status, "error");
  assert.match(answer.body.message, pattern);
}

const dbPassword = "db-password-7f3a";
const apiKey = "shared-api-key-91c2";

/**
 * secret_map as the seed docs use it: values from the owner's secrets and
 * from secrets shared with them, placeholders templates leave to pods, and
 * ${pods:secrets:KEY} references that carry the values into the container.
 * What the agent receives is read as an agent would, over AgentService.
 */
describe("secret_map", () => {
  let svc: TestService;
  let alice: string;
  let bob: string;
  let collaborator: string;
  const agentToken = "secret-map-test-agent-token";
  let desiredPodOf: (podId: string, agent?: "local" | "east") => Promise<DesiredPod>;

  before(async () => {
    const tokens = await writeAgentTokens("secret-map", { [agentToken]: "local", [`${agentToken}-east`]: "east" });
    svc = await startTestService({ PODS_AGENT_TOKENS_FILE: tokens });
    alice = await svc.token("alice");
    bob = await svc.token("bob");
    collaborator = await svc.token("collaborator");
    const agents = { local: agentClient(svc.grpcUrl, agentToken), east: agentClient(svc.grpcUrl, `${agentToken}-east`) };
    desiredPodOf = async (podId, agent = "local") => (await agents[agent].getDesiredPod({ tenantId: "dev", podId })).pod!;
    assert.equal((await api(alice, "POST", "/v3/pods/secrets", { secret_id: "my_db_password", secret_value: dbPassword })).status, 200);
    assert.equal((await api(collaborator, "POST", "/v3/pods/secrets", { secret_id: "shared_api_key", secret_value: apiKey })).status, 200);
    assert.equal((await api(collaborator, "POST", "/v3/pods/secrets/shared_api_key/permissions", { user: "alice", level: "USER" })).status, 200);
  });
  after(() => svc.stop());

  const api = (token: string, method: string, path: string, body?: unknown) => svc.api(method, path, { token, body });

  it("carriesTheSeedsSecretsIntoThePodsSecretEnvironmentOnly", async () => {
    const created = await api(alice, "POST", "/v3/pods", {
      pod_id: "apipod",
      image: "myapi:latest",
      secret_map: { DB_PASS: "${secret:my_db_password}", API_KEY: "${secret:collaborator:shared_api_key}" },
      environment_variables: { DATABASE_PASSWORD: "${pods:secrets:DB_PASS}", EXTERNAL_API_KEY: "${pods:secrets:API_KEY}", PLAIN: "visible" },
    });
    assert.equal(created.status, 200, created.body.message);
    assert.deepEqual(created.body.result.secret_map, { DB_PASS: "${secret:my_db_password}", API_KEY: "${secret:collaborator:shared_api_key}" });
    assert.equal(created.body.result.environment_variables.DATABASE_PASSWORD, "${pods:secrets:DB_PASS}");
    const desired = await desiredPodOf("apipod");
    assert.deepEqual(desired.secretEnvironment, { DATABASE_PASSWORD: dbPassword, EXTERNAL_API_KEY: apiKey });
    assert.deepEqual(desired.environment, { PLAIN: "visible" });
    for (const answer of [created, await api(alice, "GET", "/v3/pods/apipod"), await api(alice, "GET", "/v3/pods/apipod/derived"), await api(alice, "GET", "/v3/pods")]) {
      assert.ok(!JSON.stringify(answer.body).includes(dbPassword) && !JSON.stringify(answer.body).includes(apiKey), JSON.stringify(answer.body));
    }
    await svc.waitForStatus(alice, "apipod", "AVAILABLE");
  });

  it("showsResolvedSecretsInDerivedOnlyWhenAskedByThoseWhoMayReadThem", async () => {
    const resolved = await api(alice, "GET", "/v3/pods/apipod/derived?resolve_secrets=true");
    assert.equal(resolved.status, 200, resolved.body.message);
    assert.equal(resolved.body.result.environment_variables.DATABASE_PASSWORD, dbPassword);
    assert.equal(resolved.body.result.environment_variables.EXTERNAL_API_KEY, apiKey);
    await api(alice, "POST", "/v3/pods/apipod/permissions", { user: "bob", level: "ADMIN" });
    const bobs = await api(bob, "GET", "/v3/pods/apipod/derived?resolve_secrets=true");
    assert.equal(bobs.status, 200, bobs.body.message);
    assert.equal(bobs.body.result.environment_variables.DATABASE_PASSWORD, "${pods:secrets:DB_PASS}", "bob may not read alice's secret");
    assert.ok(!JSON.stringify(bobs.body).includes(dbPassword) && !JSON.stringify(bobs.body).includes(apiKey));
  });

  it("refusesSecretsThePodsOwnerMayNotUse", async () => {
    const create = (secretMap: Record<string, string>) =>
      api(alice, "POST", "/v3/pods", { pod_id: "refused", image: "myapi:latest", secret_map: secretMap, environment_variables: {} });
    assertRefused(await create({ X: "${secret:nosuchsecret}" }), 400, /^secret_map\.X: secret 'nosuchsecret' of alice not found$/);
    await api(collaborator, "POST", "/v3/pods/secrets", { secret_id: "private_key", secret_value: "private-value" });
    assertRefused(await create({ X: "${secret:collaborator:private_key}" }), 400, /^secret_map\.X: secret 'private_key' of collaborator is not shared with alice \(USER is needed\)$/);
    await api(collaborator, "POST", "/v3/pods/secrets/private_key/permissions", { user: "alice", level: "READ" });
    assertRefused(await create({ X: "${secret:collaborator:private_key}" }), 400, /^secret_map\.X: secret 'private_key' of collaborator is not shared with alice \(USER is needed\)$/);
    assertRefused(await create({ X: "${secret:alice:shared_api_key}" }), 400, /^secret_map\.X: secret 'shared_api_key' of alice not found$/);
    assert.equal((await api(alice, "GET", "/v3/pods/refused")).status, 404, "nothing is stored");
  });

  it("refusesMalformedValuesAndReferencesToUnknownKeys", async () => {
    const create = (secretMap: Record<string, string>, env: Record<string, string> = {}) =>
      api(alice, "POST", "/v3/pods", { pod_id: "malformed", image: "myapi:latest", secret_map: secretMap, environment_variables: env });
    assertRefused(await create({ X: "${secret:not an id}" }), 400, /^secret_map\.X: must be \$\{secret:name\} or \$\{secret:owner:name\}$/);
    assertRefused(await create({ X: "${pods:random:4}" }), 400, /^secret_map\.X: \$\{pods:random:N\} needs N between 8 and 128$/);
    assertRefused(await create({ X: "${pods:bogus}" }), 400, /^secret_map\.X: holds an unknown placeholder \$\{pods:bogus\}/);
    assertRefused(await create({ X: "${pods:networking:bolt:port}" }), 400, /^secret_map\.X: \$\{pods:networking:bolt:port\} names networking entry 'bolt', which the pod does not have$/);
    assertRefused(await create({}, { A: "${pods:secrets:NOPE}" }), 400, /^environment_variables\.A: \$\{pods:secrets:NOPE\} names no secret_map key$/);
  });

  it("keepsAConfigFilesReferenceToAnAbsentKeyAsWritten", async () => {
    // The docs' multi-mount example: its config file names DB_PORT, which no secret_map gives.
    const content = "[database]\nhost=localhost\nport=${pods:secrets:DB_PORT}";
    const created = await api(alice, "POST", "/v3/pods", { pod_id: "configref", image: "myapp:latest", volume_mounts: { "/etc/app/config.ini": { type: "ephemeral", config_content: content } } });
    assert.equal(created.status, 200, created.body.message);
    assert.equal((await api(alice, "GET", "/v3/pods/configref?include_configs=true")).body.result.volume_mounts["/etc/app/config.ini"].config_content, content);
  });

  it("fillsPodsUrlUnderTheDomainRegisteredForThePodsCluster", async () => {
    const cluster = await api(await svc.token("admin"), "POST", "/v3/pods/clusters", { cluster_id: "east", compute_queues: [{ name: "east" }], domain: "east.example.org" });
    assert.equal(cluster.status, 200, cluster.body.message);
    const created = await api(alice, "POST", "/v3/pods", {
      pod_id: "eastpod",
      image: "myapi:latest",
      compute_queue: "east",
      secret_map: { SELF: "${pods:url}" },
      environment_variables: { URL: "https://${pods:secrets:SELF}/" },
    });
    assert.equal(created.status, 200, created.body.message);
    const pod = (await api(alice, "GET", "/v3/pods/eastpod")).body.result;
    assert.equal(pod.networking.default.url, "eastpod.pods.dev.east.example.org");
    assert.equal(pod.secret_map.SELF, pod.networking.default.url, "the address the pod is reached at");
    assert.equal((await desiredPodOf("eastpod", "east")).secretEnvironment.URL, "https://eastpod.pods.dev.east.example.org/");
  });

  describe("placeholders", () => {
    before(async () => {
      assert.equal((await api(alice, "POST", "/v3/pods/templates", { template_id: "phtpl" })).status, 200);
      const tag = await api(alice, "POST", "/v3/pods/templates/phtpl/tags", {
        commit_message: "placeholders",
        pod_definition: {
          image: "myapi:latest",
          networking: { default: { protocol: "http", port: 8080 }, bolt: { protocol: "tcp", port: 7687 } },
          secret_map: {
            API_KEY: "${:?API key for service}",
            CACHE_HOST: "${pods:default:redis:?Redis hostname}",
            PASS: "${pods:random:24}",
            SELF: "${pods:url}",
            BOLT: "${pods:networking:bolt:port}",
            NOTE: "my question is ${pods:default:42}",
          },
          environment_variables: { KEY: "${pods:secrets:API_KEY}", HOST: "${pods:secrets:CACHE_HOST}", PW: "${pods:secrets:PASS}", URL: "https://${pods:secrets:SELF}/" },
          volume_mounts: { "/etc/app/config.ini": { type: "ephemeral", config_content: "[database]\nhost=${pods:secrets:CACHE_HOST}\npassword=${pods:secrets:PASS}\n" } },
        },
      });
      assert.equal(tag.status, 200, tag.body.message);
    });

    it("refusesAPodThatLeavesARequiredValueUnsetListingEach", async () => {
      assertRefused(await api(alice, "POST", "/v3/pods", { pod_id: "phmissing", template: "phtpl" }), 400, /^secret_map\.API_KEY: is required by the template: API key for service; set it in secret_map or template_overrides\.secret_map$/);
    });

    it("resolvesLiteralsDefaultsAddressesAndRandomValuesOncePerPod", async () => {
      const created = await api(alice, "POST", "/v3/pods", { pod_id: "phpod", template: "phtpl", secret_map: { API_KEY: "abc-literal" } });
      assert.equal(created.status, 200, created.body.message);
      const shown = (await api(alice, "GET", "/v3/pods/phpod")).body.result.secret_map;
      assert.equal(shown.API_KEY, "abc-literal");
      assert.equal(shown.CACHE_HOST, "redis");
      assert.match(shown.PASS, /^[A-Za-z0-9]{24}$/);
      assert.equal(shown.SELF, "phpod.pods.dev.localhost");
      assert.equal(shown.BOLT, "7687");
      assert.equal(shown.NOTE, "my question is 42");
      await api(alice, "POST", "/v3/pods/phpod/permissions", { user: "bob", level: "READ" });
      assert.equal((await api(bob, "GET", "/v3/pods/phpod")).body.result.secret_map.PASS, "${pods:random:24}", "READ does not see generated values");

      const desired = await desiredPodOf("phpod");
      assert.deepEqual(desired.secretEnvironment, { KEY: "abc-literal", HOST: "redis", PW: shown.PASS, URL: "https://phpod.pods.dev.localhost/" });
      assert.equal(desired.volumeMounts["/etc/app/config.ini"]!.configContent, undefined, "the content holds secrets: not in the mount (nor a ConfigMap)");
      assert.equal(desired.secretFiles["/etc/app/config.ini"], `[database]\nhost=redis\npassword=${shown.PASS}\n`);

      await svc.waitForStatus(alice, "phpod", "AVAILABLE");
      await api(alice, "GET", "/v3/pods/phpod/restart");
      await svc.waitForStatus(alice, "phpod", "AVAILABLE");
      assert.equal((await api(alice, "GET", "/v3/pods/phpod")).body.result.secret_map.PASS, shown.PASS, "generated once");
    });

    it("letsAPodOverrideDefaultsAndRequiredValuesThroughTemplateOverrides", async () => {
      const created = await api(alice, "POST", "/v3/pods", {
        pod_id: "phoverride",
        template: "phtpl",
        template_overrides: { secret_map: { API_KEY: "${secret:my_db_password}", CACHE_HOST: "memcache" } },
      });
      assert.equal(created.status, 200, created.body.message);
      const desired = await desiredPodOf("phoverride");
      assert.equal(desired.secretEnvironment.KEY, dbPassword);
      assert.equal(desired.secretEnvironment.HOST, "memcache");
    });
  });

  describe("credentials placeholders in derived", () => {
    it("resolvesThemForThoseWhoMaySeeCredentialsOnly", async () => {
      await api(alice, "POST", "/v3/pods", { pod_id: "credpod", template: "postgres" });
      await api(alice, "POST", "/v3/pods/credpod/permissions", { user: "bob", level: "READ" });
      const password = (await api(alice, "GET", "/v3/pods/credpod/credentials")).body.result.user_password;
      assert.equal((await api(alice, "GET", "/v3/pods/credpod/derived")).body.result.environment_variables.POSTGRES_PASSWORD, password);
      assert.equal((await api(bob, "GET", "/v3/pods/credpod/derived")).body.result.environment_variables.POSTGRES_PASSWORD, "<<tapissecret_user_password>>");
      assert.equal((await api(alice, "GET", "/v3/pods/credpod")).body.result.environment_variables.POSTGRES_PASSWORD, "<<tapissecret_user_password>>", "the pod itself shows its definition");
    });
  });

  it("putsAPodInErrorWhenASecretItUsesIsGoneAtItsNextStart", async () => {
    await api(alice, "POST", "/v3/pods/secrets", { secret_id: "fleeting", secret_value: "fleeting-value" });
    const created = await api(alice, "POST", "/v3/pods", { pod_id: "fleetpod", image: "myapi:latest", secret_map: { F: "${secret:fleeting}" }, environment_variables: { F: "${pods:secrets:F}" } });
    assert.equal(created.status, 200, created.body.message);
    await svc.waitForStatus(alice, "fleetpod", "AVAILABLE");
    assert.equal((await api(alice, "DELETE", "/v3/pods/secrets/fleeting")).status, 200);
    await api(alice, "GET", "/v3/pods/fleetpod/restart");
    await svc.waitForStatus(alice, "fleetpod", "ERROR");
    const logs = (await api(alice, "GET", "/v3/pods/fleetpod/logs")).body.result.action_logs as string[];
    assert.ok(logs.some((line) => line.includes("secret_map.F: secret 'fleeting' of alice not found")), JSON.stringify(logs));
  });

  it("deletesAPodsGeneratedValuesAndPodScopedSecretsWithThePod", async () => {
    await api(alice, "POST", "/v3/pods", { pod_id: "shortlived", image: "myapi:latest" });
    assert.equal((await api(alice, "POST", "/v3/pods/secrets", { secret_id: "short_token", secret_value: "x", scope: "pod", pod_id: "shortlived" })).status, 200);
    assert.equal((await api(alice, "DELETE", "/v3/pods/shortlived")).status, 200);
    assert.equal((await api(alice, "GET", "/v3/pods/secrets/short_token")).status, 404);
    await eventually("the id to be free", async () => (await api(alice, "POST", "/v3/pods", { pod_id: "shortlived", image: "myapi:latest" })).status === 200);
  });
});
