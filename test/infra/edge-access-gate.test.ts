import assert from "node:assert/strict";
import https from "node:https";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { httpBackend, selfSignedCertificate, startNginxProxy, type RunningProxy, type SeenRequest } from "../support/edge-fixture.js";
import { eventually } from "../support/eventually.js";
import { startTestService, type TestService } from "../support/test-service.js";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * The access gate through the nginx edge proxy: a visitor without a Tapis
 * account reaches a gated pod only with a secret its owners minted, redeemed
 * on the pod's own host (so the session cookie belongs to that host alone);
 * failed attempts are limited per client address, which the proxy passes on
 * (the service trusts it: PODS_TRUSTED_PROXIES).
 */
describe("edge: the access gate through nginx", function () {
  this.timeout(120_000);
  let svc: TestService;
  let alice: string;
  let proxy: RunningProxy;
  let certificate: { cert: string; key: string; dir: string };
  let addressesFile: string;
  const closers: (() => Promise<void>)[] = [];
  let seenByGated: SeenRequest[];

  /** An HTTPS request to `host` through the proxy, from `from` (a 127.x address), nothing followed. */
  function visit(host: string, path: string, options: { from?: string; headers?: Record<string, string>; form?: Record<string, string> } = {}): Promise<Answer> {
    const body = options.form ? Buffer.from(new URLSearchParams(options.form).toString()) : undefined;
    return new Promise((resolve, reject) => {
      const request = https.request(
        {
          host: "127.0.0.1",
          port: proxy.port,
          servername: host,
          path,
          method: body ? "POST" : "GET",
          localAddress: options.from,
          rejectUnauthorized: false,
          agent: false,
          headers: {
            Host: `${host}:${proxy.port}`,
            ...(body ? { "Content-Type": "application/x-www-form-urlencoded", "Content-Length": String(body.length) } : {}),
            ...options.headers,
          },
        },
        (response) => {
          let text = "";
          response.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
          response.once("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }));
        },
      );
      request.once("error", reject);
      request.end(body);
    });
  }

  const sessionOf = (answer: Answer) => (answer.headers["set-cookie"] as string[] | undefined)?.find((c) => c.startsWith("__Host-tapis_pod_gate_gated="));
  const cookieHeader = (setCookie: string) => ({ Cookie: setCookie.split(";")[0]! });

  before(async () => {
    assert.ok(process.env.PODS_TEST_NGINX, "PODS_TEST_NGINX must name the nginx binary (npm run test:infra sets it from scripts/infra/nginx.sh)");
    certificate = await selfSignedCertificate(["*.pods.dev.localhost"]);
    const gated = await httpBackend("gated");
    const open = await httpBackend("open");
    closers.push(gated.close, open.close);
    seenByGated = gated.seen;
    addressesFile = join(tmpdir(), `pods-gate-addresses-${process.pid}.json`);
    await writeFile(addressesFile, JSON.stringify({ "pods-local-dev-gated.pods.svc:8080": `127.0.0.1:${gated.port}`, "pods-local-dev-open.pods.svc:8080": `127.0.0.1:${open.port}` }));
    // nginx reaches the API from 127.0.0.1; visitors come from other loopback addresses.
    svc = await startTestService({ PODS_EDGE_SERVICE_ADDRESSES_FILE: addressesFile, PODS_TRUSTED_PROXIES: "127.0.0.1" });
    alice = await svc.token("alice");
    for (const [podId, networking] of [
      ["gated", { default: { protocol: "http", port: 8080, access_gate: true } }],
      ["open", { default: { protocol: "http", port: 8080 } }],
    ] as const) {
      const created = await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: podId, image: "nginx:1", networking } });
      assert.equal(created.status, 200, created.body.message);
      await svc.waitForStatus(alice, podId, "AVAILABLE");
    }
    proxy = await startNginxProxy(process.env.PODS_TEST_NGINX!, svc.grpcUrl, certificate);
    await eventually("nginx to route the pods", async () => {
      await proxy.refresh();
      return (await visit("open.pods.dev.localhost", "/").catch(() => ({ status: 0 }))).status === 200;
    });
  });
  after(async () => {
    await proxy?.stop();
    await svc?.stop();
    for (const close of closers) await close();
    await rm(addressesFile, { force: true });
    await rm(certificate.dir, { recursive: true, force: true });
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed") console.log(`nginx logs:\n${proxy.logs().slice(-4000)}`);
  });

  it("showsAVisitorWithoutASessionTheLoginFormAndNeverReachesThePod", async () => {
    const before = seenByGated.length;
    const answer = await visit("gated.pods.dev.localhost", "/private", { headers: { Accept: "text/html" } });
    assert.equal(answer.status, 401);
    assert.match(String(answer.headers["content-type"]), /^text\/html/);
    assert.match(answer.text, /<form[^>]+method="post"[^>]+action="\/v3\/pods\/gated\/gate\/redeem"/);
    assert.equal(seenByGated.length, before, "the pod saw nothing");
    assert.equal((await visit("open.pods.dev.localhost", "/")).status, 200, "a pod without a gate is not affected");
  });

  it("redeemsALinkOnThePodsHostIntoAHostOnlyCookieThatLetsTheVisitorIn", async () => {
    const { secret } = (await svc.api("POST", "/v3/pods/gated/access-tokens", { token: alice, body: { label: "guests" } })).body.result;
    const handed = await visit("gated.pods.dev.localhost", `/?access=${secret}`, { from: "127.0.0.31" });
    assert.equal(handed.status, 302);
    assert.equal(handed.headers.location, `/v3/pods/gated/gate/redeem?access=${secret}`);
    const redeemed = await visit("gated.pods.dev.localhost", handed.headers.location as string, { from: "127.0.0.31" });
    assert.equal(redeemed.status, 302, redeemed.text);
    assert.equal(redeemed.headers.location, "/");
    const session = sessionOf(redeemed);
    assert.ok(session, JSON.stringify(redeemed.headers["set-cookie"]));
    assert.doesNotMatch(session, /Domain=/i, "the cookie belongs to the pod's host alone");
    assert.match(session, /; HttpOnly; Secure; SameSite=Lax/);

    const inside = await visit("gated.pods.dev.localhost", "/data", { headers: { ...cookieHeader(session), "X-Tapis-Gate-Code": "forged" } });
    assert.equal(inside.status, 200, inside.text);
    const seen = JSON.parse(inside.text) as SeenRequest;
    assert.equal(seen.path, "/data");
    assert.equal(seen.headers["x-tapis-gate-code"], "guests", "the gate's answer replaces what the visitor sent");
  });

  it("redeemsAPasswordPostedFromTheFormThroughTheProxy", async () => {
    await svc.api("POST", "/v3/pods/gated/access-tokens", { token: alice, body: { label: "typed", kind: "password", password: "open sesame" } });
    const asTheFormPosts = (site: string, origin: string) => ({ "Sec-Fetch-Site": site, Origin: origin });
    const ownOrigin = `https://gated.pods.dev.localhost:${proxy.port}`;
    const fromElsewhere = await visit("gated.pods.dev.localhost", "/v3/pods/gated/gate/redeem", {
      from: "127.0.0.32",
      form: { secret: "open sesame", return_path: "/app" },
      headers: asTheFormPosts("same-site", `https://other.pods.dev.localhost:${proxy.port}`),
    });
    assert.equal(fromElsewhere.status, 403, "a sibling pod's page cannot post the form");
    const redeemed = await visit("gated.pods.dev.localhost", "/v3/pods/gated/gate/redeem", {
      from: "127.0.0.32",
      form: { secret: "open sesame", return_path: "/app" },
      headers: asTheFormPosts("same-origin", ownOrigin),
    });
    assert.equal(redeemed.status, 302, redeemed.text);
    assert.equal(redeemed.headers.location, "/app");
    const inside = await visit("gated.pods.dev.localhost", "/app", { headers: cookieHeader(sessionOf(redeemed)!) });
    assert.equal(inside.status, 200);
    assert.equal((JSON.parse(inside.text) as SeenRequest).headers["x-tapis-gate-code"], "typed");
  });

  it("holdsTheLimitOnFailedAttemptsPerVisitorAddressBehindTheProxy", async () => {
    const { secret } = (await svc.api("POST", "/v3/pods/gated/access-tokens", { token: alice, body: { label: "limited" } })).body.result;
    const statuses: number[] = [];
    for (let attempt = 1; attempt <= 11; attempt++) {
      statuses.push((await visit("gated.pods.dev.localhost", "/v3/pods/gated/gate/redeem", { from: "127.0.0.41", form: { secret: `guess-${attempt}` } })).status);
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 429]);
    const locked = await visit("gated.pods.dev.localhost", `/v3/pods/gated/gate/redeem?access=${secret}`, { from: "127.0.0.41" });
    assert.equal(locked.status, 429, "the right secret does not help a locked-out address");
    assert.match(locked.text, /Too many attempts from your network/);
    const other = await visit("gated.pods.dev.localhost", `/v3/pods/gated/gate/redeem?access=${secret}`, { from: "127.0.0.42" });
    assert.equal(other.status, 302, "another visitor behind the same proxy is not locked out");
    const audit = (await svc.api("GET", "/v3/pods/gated/access-tokens/audit", { token: alice })).body.result as { action: string; actor: string }[];
    assert.ok(audit.some((e) => e.action === "locked" && e.actor === "127.0.0.41"), JSON.stringify(audit.slice(0, 5)));
    assert.ok(audit.some((e) => e.action === "redeem" && e.actor === "127.0.0.42"));
  });

  it("endsASessionAtTheProxyOnceItsTokenIsRevoked", async () => {
    const { secret, id } = (await svc.api("POST", "/v3/pods/gated/access-tokens", { token: alice, body: { label: "brief" } })).body.result;
    const session = sessionOf(await visit("gated.pods.dev.localhost", `/v3/pods/gated/gate/redeem?access=${secret}`, { from: "127.0.0.51" }))!;
    assert.equal((await visit("gated.pods.dev.localhost", "/", { headers: cookieHeader(session) })).status, 200);
    assert.equal((await svc.api("DELETE", `/v3/pods/gated/access-tokens/${id}`, { token: alice })).status, 200);
    assert.equal((await visit("gated.pods.dev.localhost", "/", { headers: cookieHeader(session) })).status, 401);
  });
});
