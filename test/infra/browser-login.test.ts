import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { httpBackend, infraHome, proxied, selfSignedCertificate, startNginxProxy, type RunningProxy } from "../support/edge-fixture.js";
import { eventually } from "../support/eventually.js";
import { startTestService, type TestService } from "../support/test-service.js";

/** The flags every headless Chromium of the suites runs with (and a new, empty profile each). */
const chromiumFlags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];

/**
 * tapis_auth in a real browser (Debian's Chromium, driven by playwright-core)
 * through the nginx edge proxy: open the pod's URL, log in at the dev
 * identity provider's form, land on the pod with the session cookie set.
 */
describe("tapis_auth login in a headless Chromium", function () {
  this.timeout(120_000);
  let svc: TestService;
  let proxy: RunningProxy;
  let context: BrowserContext;
  let profile: string;
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    const executablePath = process.env.PODS_TEST_CHROMIUM;
    assert.ok(executablePath, "PODS_TEST_CHROMIUM must name Debian's chromium (npm run test:infra sets it from scripts/infra/chromium.sh)");
    assert.ok(process.env.PODS_TEST_NGINX, "PODS_TEST_NGINX must name the nginx binary (npm run test:infra sets it from scripts/infra/nginx.sh)");
    const backend = await httpBackend("notebook");
    cleanups.push(backend.close);
    const addresses = join(tmpdir(), `pods-browser-addresses-${process.pid}.json`);
    await writeFile(addresses, JSON.stringify({ "pods-local-dev-notebook.pods.svc:8888": `127.0.0.1:${backend.port}` }));
    cleanups.push(() => rm(addresses, { force: true }));
    svc = await startTestService({ PODS_EDGE_SERVICE_ADDRESSES_FILE: addresses });
    const alice = await svc.token("alice");
    const created = await svc.api("POST", "/v3/pods", {
      token: alice,
      body: {
        pod_id: "notebook",
        image: "nginx:1",
        networking: {
          default: { protocol: "http", port: 8888, tapis_auth: true, tapis_auth_allowed_users: ["alice"], tapis_auth_return_path: "/lab", tapis_auth_response_headers: { "X-Tapis-Username": "<<tapisusername>>" } },
        },
      },
    });
    assert.equal(created.status, 200, created.body.message);
    await svc.waitForStatus(alice, "notebook", "AVAILABLE");
    const certificate = await selfSignedCertificate(["*.pods.dev.localhost"]);
    cleanups.push(() => rm(certificate.dir, { recursive: true, force: true }));
    proxy = await startNginxProxy(process.env.PODS_TEST_NGINX!, svc.grpcUrl, certificate);
    await eventually("nginx to route notebook.pods.dev.localhost", async () => {
      await proxy.refresh();
      // Refused while nginx is still starting.
      const answer = await proxied(proxy.port, "notebook.pods.dev.localhost", "/", { headers: { Accept: "application/json" } }).catch(() => undefined);
      return answer?.status === 401;
    });
    const runs = join(infraHome(), "chromium", "runs");
    await mkdir(runs, { recursive: true });
    profile = await mkdtemp(join(runs, "profile-"));
    context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: chromiumFlags, ignoreHTTPSErrors: true });
  });
  after(async () => {
    await context?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    await proxy?.stop();
    await svc?.stop();
    for (const cleanup of cleanups) await cleanup();
  });

  it("opensThePodLogsInAtTheFormAndLandsOnThePodWithTheSessionCookie", async () => {
    const page = await context.newPage();
    const podUrl = `https://notebook.pods.dev.localhost:${proxy.port}/`;
    await page.goto(podUrl);
    // Sent to the tenant's login: the dev identity provider's form.
    assert.equal(new URL(page.url()).origin, svc.baseUrl);
    assert.equal(new URL(page.url()).pathname, "/v3/oauth2/authorize");
    const password = (JSON.parse(await readFile(join(svc.dataDir, "dev-users.json"), "utf8")) as Record<string, string>).alice!;
    await page.fill("#username", "alice");
    await page.fill("#password", password);
    await Promise.all([page.waitForURL(`${podUrl}lab`), page.click("button[type=submit]")]);
    assert.equal(await page.textContent("#who"), "notebook greets alice");

    const cookies = await context.cookies(podUrl);
    const session = cookies.find((cookie) => cookie.name === "tapis_pods_session");
    assert.ok(session, JSON.stringify(cookies));
    assert.equal(session.domain, "notebook.pods.dev.localhost");
    assert.equal(session.httpOnly, true);
    assert.equal(session.secure, true);
    assert.equal(session.sameSite, "Lax");
    // The page's scripts cannot read it.
    assert.equal(String(await page.evaluate("document.cookie")).includes("tapis_pods_session"), false);

    // Once logged in, the pod answers without another login.
    await page.goto(`${podUrl}again`);
    assert.equal(new URL(page.url()).pathname, "/again");
    assert.equal(await page.textContent("#who"), "notebook greets alice");
  });
});
