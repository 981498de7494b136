import assert from "node:assert/strict";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  httpBackend,
  proxied,
  selfSignedCertificate,
  startNginxProxy,
  startTraefikProxy,
  tcpBackend,
  tlsExchange,
  type RunningProxy,
} from "../support/edge-fixture.js";
import { eventually } from "../support/eventually.js";
import { trustedTenant } from "../support/tokens.js";
import { startTestService, type TestService } from "../support/test-service.js";

type Json = Record<string, any>;

/** The pods of the suite: tenant, id, networking; each routed entry gets a local backend. */
const pods: { tenant: "dev" | "other"; podId: string; networking: Json }[] = [
  { tenant: "dev", podId: "web", networking: { default: { protocol: "http", port: 8080 } } },
  { tenant: "other", podId: "web", networking: { default: { protocol: "http", port: 8080 } } },
  {
    tenant: "dev",
    podId: "secure",
    networking: {
      default: {
        protocol: "http",
        port: 8080,
        tapis_auth: true,
        tapis_auth_allowed_users: ["alice"],
        tapis_auth_response_headers: { "X-Tapis-Username": "<<tapisusername>>", "X-Tapis-Where": "<<tapistenantid>>.<<tapissiteid>>" },
      },
    },
  },
  {
    tenant: "dev",
    podId: "front",
    networking: {
      default: { protocol: "http", port: 8080, cors_allow_origins: ["https://app.example.org"], cors_allow_methods: ["GET", "POST"], cors_allow_headers: ["content-type", "x-tapis-token"], cors_allow_credentials: true, cors_max_age: 600 },
      plain: { protocol: "http", port: 8081, cors_allow_origins: ["*"], cors_add_vary_header: false },
    },
  },
  { tenant: "dev", podId: "fenced", networking: { default: { protocol: "http", port: 8080, ip_allow_list: ["10.0.0.0/8"] }, bolt: { protocol: "tcp", port: 7687, ip_allow_list: ["10.0.0.0/8"] } } },
  { tenant: "dev", podId: "dbs", networking: { bolt: { protocol: "tcp", port: 7687, ip_allow_list: ["127.0.0.0/8", "::1"] }, postgres: { protocol: "postgres", port: 5432 } } },
  { tenant: "dev", podId: "stopme", networking: { default: { protocol: "http", port: 8080 } } },
];

/**
 * The edge end to end: pods reached at their URLs through a real proxy
 * configured by the project from the edge model (nginx from Debian's
 * packages, via edge-proxy/; and Traefik itself when PODS_TRAEFIK_BIN names
 * a binary), with local servers standing in for the pods' Services.
 */
describe("edge: pods reached through a real proxy", function () {
  this.timeout(120_000);
  let svc: TestService;
  let alice: string;
  let bob: string;
  const closers: (() => Promise<void>)[] = [];
  let certificate: { cert: string; key: string; dir: string };
  let addressesFile: string;

  before(async () => {
    assert.ok(process.env.PODS_TEST_NGINX, "PODS_TEST_NGINX must name the nginx binary (npm run test:infra sets it from scripts/infra/nginx.sh)");
    certificate = await selfSignedCertificate(["*.pods.dev.localhost", "*.pods.other.localhost"]);
    const podCertificate = await selfSignedCertificate(["dbs-postgres.pods.dev.localhost"], "the postgres pod itself");
    const other = await trustedTenant("other");
    // Each routed entry's Service, mapped to a local server of its own.
    const addresses: Record<string, string> = {};
    for (const pod of pods) {
      for (const [key, entry] of Object.entries(pod.networking) as [string, Json][]) {
        const label = `${pod.tenant}/${pod.podId}/${key}`;
        const backend =
          entry.protocol === "http" ? await httpBackend(label) : await tcpBackend(label, entry.protocol === "postgres" ? podCertificate : undefined);
        closers.push(backend.close);
        addresses[`pods-local-${pod.tenant}-${pod.podId}.pods.svc:${entry.port}`] = `127.0.0.1:${backend.port}`;
      }
    }
    addressesFile = join(tmpdir(), `pods-edge-addresses-${process.pid}.json`);
    await writeFile(addressesFile, JSON.stringify(addresses));
    svc = await startTestService({ PODS_TENANT_KEYS_FILE: other.keysFile, PODS_EDGE_SERVICE_ADDRESSES_FILE: addressesFile });
    alice = await svc.token("alice");
    bob = await svc.token("bob");
    const tokens = { dev: alice, other: await other.token("carol") };
    for (const pod of pods) {
      const created = await svc.api("POST", "/v3/pods", { token: tokens[pod.tenant], body: { pod_id: pod.podId, image: "nginx:1", networking: pod.networking } });
      assert.equal(created.status, 200, created.body.message);
    }
    for (const pod of pods) await svc.waitForStatus(tokens[pod.tenant], pod.podId, "AVAILABLE");
  });
  after(async () => {
    await svc?.stop();
    for (const close of closers) await close();
    await rm(addressesFile, { force: true });
    await rm(certificate.dir, { recursive: true, force: true });
  });

  const proxies: [string, () => Promise<RunningProxy>][] = [["nginx", () => startNginxProxy(process.env.PODS_TEST_NGINX!, svc.grpcUrl, certificate)]];
  if (process.env.PODS_TRAEFIK_BIN) proxies.push(["traefik", () => startTraefikProxy(process.env.PODS_TRAEFIK_BIN!, svc.baseUrl, certificate)]);

  for (const [name, start] of proxies) {
    describe(`through ${name}`, () => {
      let proxy: RunningProxy;
      const get = (host: string, path = "/", headers: Record<string, string> = {}, method = "GET") => proxied(proxy.port, host, path, { headers, method });

      before(async () => {
        proxy = await start();
        await eventually(`${name} to route web.pods.dev.localhost`, async () => {
          await proxy.refresh();
          return (await get("web.pods.dev.localhost").catch(() => ({ status: 0 }))).status === 200;
        });
      });
      after(() => proxy?.stop());
      afterEach(function () {
        if (this.currentTest?.state === "failed") console.log(`${name} logs:\n${proxy.logs().slice(-4000)}`);
      });

      it("answersAnHttpPodAtItsUrlWithTheClientsAddress", async () => {
        const answer = await get("web.pods.dev.localhost", "/hello?x=1");
        assert.equal(answer.status, 200);
        const seen = JSON.parse(answer.text) as Json;
        assert.equal(seen.pod, "dev/web/default");
        assert.equal(seen.path, "/hello?x=1");
        assert.match(String(seen.headers["x-forwarded-for"]), /127\.0\.0\.1/);
      });

      it("reachesEachTenantsOwnPodWhenTwoTenantsUseOneId", async () => {
        assert.equal((JSON.parse((await get("web.pods.other.localhost")).text) as Json).pod, "other/web/default");
        assert.equal((JSON.parse((await get("web.pods.dev.localhost")).text) as Json).pod, "dev/web/default");
      });

      it("answersATcpPodOverTlsBySniAndEndsTlsAtTheProxy", async () => {
        const answer = await tlsExchange(proxy.port, "dbs-bolt.pods.dev.localhost", "ping");
        assert.deepEqual(answer, { received: "dev/dbs/bolt:ping", peerName: "*.pods.dev.localhost" });
      });

      it("passesPostgresTlsThroughToThePod", async () => {
        const answer = await tlsExchange(proxy.port, "dbs-postgres.pods.dev.localhost", "ping");
        assert.deepEqual(answer, { received: "dev/dbs/postgres:ping", peerName: "the postgres pod itself" });
      });

      it("letsAnAllowedUserThroughWithTheTemplatedHeadersReplacingTheClients", async () => {
        const answer = await get("secure.pods.dev.localhost", "/data", { "X-Tapis-Token": alice, "X-Tapis-Username": "forged" });
        assert.equal(answer.status, 200, answer.text);
        const seen = JSON.parse(answer.text) as Json;
        assert.equal(seen.headers["x-tapis-username"], "alice");
        assert.equal(seen.headers["x-tapis-where"], "dev.local");
      });

      it("refusesAnotherUser403AndATokenlessCodeClient401", async () => {
        assert.equal((await get("secure.pods.dev.localhost", "/data", { "X-Tapis-Token": bob })).status, 403);
        const tokenless = await get("secure.pods.dev.localhost", "/data", { Accept: "application/json" });
        assert.equal(tokenless.status, 401);
        assert.equal(tokenless.headers.location, undefined);
      });

      it("redirectsABrowserWithoutALoginToTheTenantsLoginAndRoutesTheCallbackToTheApi", async () => {
        const answer = await get("secure.pods.dev.localhost", "/", { Accept: "text/html" });
        assert.equal(answer.status, 302);
        const login = new URL(answer.headers.location!);
        assert.equal(`${login.origin}${login.pathname}`, `${svc.baseUrl}/v3/oauth2/authorize`);
        assert.equal(login.searchParams.get("redirect_uri"), `https://secure.pods.dev.localhost:${proxy.port}/v3/pods/secure/auth/callback`);
        assert.ok((answer.headers["set-cookie"] ?? []).some((cookie) => cookie.startsWith("tapis_pods_login=")));
        // The callback on the pod's host reaches the API, without a login first.
        const callback = await get("secure.pods.dev.localhost", "/v3/pods/secure/auth/callback?code=x&state=y");
        assert.equal(callback.status, 400);
        assert.match(callback.text, /state: is not a login this service began for this pod/);
      });

      it("answersACorsPreflightAsConfiguredWithoutAskingThePod", async () => {
        const preflight = await get("front.pods.dev.localhost", "/api", { Origin: "https://app.example.org", "Access-Control-Request-Method": "POST" }, "OPTIONS");
        assert.equal(preflight.status, 200);
        assert.equal(preflight.text, "", "the proxy answers; the pod (which would echo the request) is not asked");
        assert.equal(preflight.headers["access-control-allow-origin"], "https://app.example.org");
        assert.equal(preflight.headers["access-control-allow-methods"], "GET,POST");
        assert.equal(preflight.headers["access-control-allow-headers"], "content-type,x-tapis-token");
        assert.equal(preflight.headers["access-control-allow-credentials"], "true");
        assert.equal(preflight.headers["access-control-max-age"], "600");
        const stranger = await get("front.pods.dev.localhost", "/api", { Origin: "https://evil.example.org", "Access-Control-Request-Method": "POST" }, "OPTIONS");
        assert.equal(stranger.headers["access-control-allow-origin"], undefined);
      });

      it("addsVaryOriginToAnswersWhenAskedAndOnlyThen", async () => {
        const asked = await get("front.pods.dev.localhost", "/api", { Origin: "https://app.example.org" });
        assert.equal(asked.status, 200);
        assert.equal(asked.headers["access-control-allow-origin"], "https://app.example.org");
        assert.match(String(asked.headers.vary), /Origin/);
        const notAsked = await get("front-plain.pods.dev.localhost", "/api", { Origin: "https://any.example.org" });
        assert.equal(notAsked.status, 200);
        assert.equal(notAsked.headers["access-control-allow-origin"], "*");
        assert.equal(notAsked.headers.vary, undefined);
      });

      it("refusesClientsOutsideTheIpAllowList", async () => {
        assert.equal((await get("fenced.pods.dev.localhost")).status, 403);
        assert.ok("error" in (await tlsExchange(proxy.port, "fenced-bolt.pods.dev.localhost", "ping")));
      });

      it("answers404ForAHostNoPodHas", async () => {
        assert.equal((await get("nobody.pods.dev.localhost")).status, 404);
      });

      it("stopsRoutingAPodOnceItIsStopped", async () => {
        assert.equal((await get("stopme.pods.dev.localhost")).status, 200);
        assert.equal((await svc.api("GET", "/v3/pods/stopme/stop", { token: alice })).status, 200);
        await svc.waitForStatus(alice, "stopme", "STOPPED");
        await eventually(`${name} to stop routing stopme`, async () => {
          await proxy.refresh();
          return (await get("stopme.pods.dev.localhost")).status === 404;
        });
        assert.equal((await svc.api("GET", "/v3/pods/stopme/start", { token: alice })).status, 200);
        await svc.waitForStatus(alice, "stopme", "AVAILABLE");
        await eventually(`${name} to route stopme again`, async () => {
          await proxy.refresh();
          return (await get("stopme.pods.dev.localhost")).status === 200;
        });
      });
    });
  }
});
