import assert from "node:assert/strict";
import { trustedTenant, type TrustedTenant } from "../support/tokens.js";
import { startTestService, type TestService } from "../support/test-service.js";
import { assertValidTraefikConfig } from "../support/traefik-schema.js";

type Config = { http?: { routers?: Record<string, { rule: string }> }; tcp?: { routers?: Record<string, { rule: string }> } };

describe("GET /v3/traefik-config", () => {
  let svc: TestService;
  let alice: string;
  let admin: string;
  let odd: TrustedTenant;

  /** The configuration Traefik's HTTP provider would read, checked against Traefik's schema. */
  async function traefikConfig(query = "", headers: Record<string, string> = {}): Promise<{ status: number; config: Config; etag: string | null; text: string }> {
    const response = await fetch(`${svc.baseUrl}/v3/traefik-config${query}`, { headers });
    const text = await response.text();
    const config = response.status === 200 ? (JSON.parse(text) as Config) : {};
    if (response.status === 200) assertValidTraefikConfig(config);
    return { status: response.status, config, etag: response.headers.get("etag"), text };
  }

  const rules = (config: Config) => [...Object.values(config.http?.routers ?? {}), ...Object.values(config.tcp?.routers ?? {})].map((r) => r.rule).sort();

  before(async () => {
    odd = await trustedTenant("under_score");
    svc = await startTestService({ PODS_TENANT_KEYS_FILE: odd.keysFile });
    alice = await svc.token("alice");
    admin = await svc.token("admin");
  });
  after(() => svc.stop());

  it("routesTheEntriesOfAvailablePodsOnlyBareAndWithoutAToken", async () => {
    const created = await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: "graph", template: "neo4j" } });
    assert.equal(created.status, 200, created.body.message);
    await svc.waitForStatus(alice, "graph", "AVAILABLE");
    const available = await traefikConfig();
    assert.equal(available.status, 200);
    assert.deepEqual(rules(available.config), ["Host(`graph.pods.dev.localhost`)", "HostSNI(`graph-bolt.pods.dev.localhost`)"]);
    // Also where the upstream service serves it.
    assert.equal((await traefikConfig()).text, (await fetch(`${svc.baseUrl}/v3/pods/traefik-config`).then((r) => r.text())));

    assert.equal((await svc.api("GET", "/v3/pods/graph/stop", { token: alice })).status, 200);
    await svc.waitForStatus(alice, "graph", "STOPPED");
    assert.deepEqual(rules((await traefikConfig()).config), []);
  });

  it("answers304WhileTheConfigurationIsUnchanged", async () => {
    await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: "etagpod", image: "nginx:1" } });
    await svc.waitForStatus(alice, "etagpod", "AVAILABLE");
    const first = await traefikConfig();
    assert.match(first.etag ?? "", /^"[A-Za-z0-9_-]+"$/);
    const unchanged = await fetch(`${svc.baseUrl}/v3/traefik-config`, { headers: { "If-None-Match": first.etag! } });
    assert.equal(unchanged.status, 304);
    assert.equal(unchanged.headers.get("etag"), first.etag);
    assert.equal(await unchanged.text(), "");

    await svc.api("GET", "/v3/pods/etagpod/stop", { token: alice });
    await svc.waitForStatus(alice, "etagpod", "STOPPED");
    const changed = await traefikConfig("", { "If-None-Match": first.etag! });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.etag, first.etag);
  });

  it("leavesOutAPodWhoseEntryIsInvalidSaysWhyInItsActionLogAndStillServesTheRest", async () => {
    const carol = await odd.token("carol");
    assert.equal((await svc.api("POST", "/v3/pods", { token: carol, body: { pod_id: "oddpod", image: "nginx:1" } })).status, 200);
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: "finepod", image: "nginx:1" } })).status, 200);
    await svc.waitForStatus(carol, "oddpod", "AVAILABLE");
    await svc.waitForStatus(alice, "finepod", "AVAILABLE");
    const served = await traefikConfig();
    assert.equal(served.status, 200);
    assert.ok(rules(served.config).includes("Host(`finepod.pods.dev.localhost`)"), served.text);
    assert.ok(!served.text.includes("oddpod"), served.text);
    // Written before the answer, once: asked again, the same reason is not written again.
    await traefikConfig();
    const logs = await svc.api("GET", "/v3/pods/oddpod/logs", { token: carol });
    const lines = (logs.body.result.action_logs as string[]).filter((line) => line.includes("Not routed"));
    assert.equal(lines.length, 1, JSON.stringify(logs.body.result.action_logs));
    assert.match(lines[0]!, /Not routed: networking\.default: tenant id 'under_score' cannot be part of a host name\.$/);
  });

  it("routesOneClustersPodsWhenAskedForThatCluster", async () => {
    const cluster = await svc.api("POST", "/v3/pods/clusters", { token: admin, body: { cluster_id: "east", compute_queues: [{ name: "east" }], domain: "east.example.org" } });
    assert.equal(cluster.status, 200, cluster.body.message);
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: "localone", image: "nginx:1" } })).status, 200);
    await svc.waitForStatus(alice, "localone", "AVAILABLE");
    const local = await traefikConfig("?cluster_id=local");
    assert.ok(rules(local.config).includes("Host(`localone.pods.dev.localhost`)"));
    assert.deepEqual(rules((await traefikConfig("?cluster_id=east")).config), []);
    const unknown = await fetch(`${svc.baseUrl}/v3/traefik-config?cluster_id=nowhere`);
    assert.equal(unknown.status, 404);
    assert.match(((await unknown.json()) as { message: string }).message, /cluster 'nowhere' not found/);
  });
});
