import assert from "node:assert/strict";
import { trustedTenant, type TrustedTenant } from "../support/tokens.js";
import { startTestService, type TestService } from "../support/test-service.js";

const networking = {
  default: { protocol: "http", port: 8080 },
  postgres: { protocol: "postgres", port: 5432 },
  internal: { protocol: "local_only", port: 9000 },
};

describe("pod URLs", () => {
  let svc: TestService;
  let other: TrustedTenant;
  let alice: string;
  let admin: string;

  before(async () => {
    other = await trustedTenant("other");
    svc = await startTestService({ PODS_TENANT_KEYS_FILE: other.keysFile });
    alice = await svc.token("alice");
    admin = await svc.token("admin");
  });
  after(() => svc.stop());

  it("givesEachRoutedEntryAUrlUnderThePodsTenantAndTheLocalDomain", async () => {
    const created = await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: "urlpod", image: "nginx:1", networking } });
    assert.equal(created.status, 200, created.body.message);
    const urls = Object.fromEntries(Object.entries(created.body.result.networking).map(([key, entry]) => [key, (entry as { url: string }).url]));
    assert.deepEqual(urls, {
      default: "urlpod.pods.dev.localhost",
      postgres: "urlpod-postgres.pods.dev.localhost",
      // Reachable only inside the cluster: no route, no URL.
      internal: "",
    });
    const fetched = await svc.api("GET", "/v3/pods/urlpod", { token: alice });
    assert.equal(fetched.body.result.networking.postgres.url, "urlpod-postgres.pods.dev.localhost");
  });

  it("givesTwoTenantsPodsOfTheSameIdDifferentUrls", async () => {
    const mine = await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: "samename", image: "nginx:1" } });
    const theirs = await svc.api("POST", "/v3/pods", { token: await other.token("carol"), body: { pod_id: "samename", image: "nginx:1" } });
    assert.equal(mine.status, 200, mine.body.message);
    assert.equal(theirs.status, 200, theirs.body.message);
    assert.equal(mine.body.result.networking.default.url, "samename.pods.dev.localhost");
    assert.equal(theirs.body.result.networking.default.url, "samename.pods.other.localhost");
  });

  it("usesTheDomainRegisteredForThePodsCluster", async () => {
    const cluster = await svc.api("POST", "/v3/pods/clusters", {
      token: admin,
      body: { cluster_id: "tacc", compute_queues: [{ name: "tacc" }], domain: "tapis.example.org" },
    });
    assert.equal(cluster.status, 200, cluster.body.message);
    const created = await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: "ontacc", template: "neo4j", compute_queue: "tacc" } });
    assert.equal(created.status, 200, created.body.message);
    assert.equal(created.body.result.networking.default.url, "ontacc.pods.dev.tapis.example.org");
    assert.equal(created.body.result.networking.bolt.url, "ontacc-bolt.pods.dev.tapis.example.org");
  });

  it("refusesAClusterDomainThatIsNoHostName", async () => {
    const answer = await svc.api("POST", "/v3/pods/clusters", {
      token: admin,
      body: { cluster_id: "baddomain", compute_queues: [{ name: "baddomain" }], domain: "not a domain!" },
    });
    assert.equal(answer.status, 400);
    assert.match(answer.body.message, /domain: must be a DNS name \(labels of letters, digits and '-', separated by dots\)/);
  });

  it("refusesAnEntryWhoseHostLabelIsLongerThanDnsAllows", async () => {
    const podId = `p${"a".repeat(55)}`;
    const answer = await svc.api("POST", "/v3/pods", {
      token: alice,
      body: { pod_id: podId, image: "nginx:1", networking: { longname: { protocol: "http", port: 8080 } } },
    });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.message, `networking.longname: the URL's first label '${podId}-longname' must be at most 63 characters; use a shorter pod id or networking key`);
    assert.equal((await svc.api("GET", `/v3/pods/${podId}`, { token: alice })).status, 404);
  });
});
