import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { trustedTenant, type TrustedTenant } from "../support/tokens.js";
import { startTestService, type TestService } from "../support/test-service.js";

/** The pod's host as the proxy names it in X-Forwarded-Host (the proxy listens on 8443 here). */
const host = "authpod.pods.dev.localhost:8443";
const callbackUrl = `https://${host}/v3/pods/authpod/auth/callback`;

/**
 * tapis_auth as the proxy sees it: GET /v3/pods/{pod_id_net}/auth is its
 * forward-auth address (the proxy passes the client's Accept, Cookie and
 * X-Tapis-Token and names the host it was asked for), and the login
 * returns through /auth/callback on the pod's own host.
 */
describe("tapis_auth: forward authentication and the OAuth2 login", () => {
  let svc: TestService;
  let other: TrustedTenant;
  let alice: string;
  let bob: string;
  let password: string;

  /** What the proxy sends to the forward-auth address for a request to `host`. */
  function auth(podIdNet: string, headers: Record<string, string>, query = "?tenant_id=dev"): Promise<Response> {
    return fetch(`${svc.baseUrl}/v3/pods/${podIdNet}/auth${query}`, {
      headers: { "X-Forwarded-Host": host, "X-Forwarded-Proto": "https", "X-Forwarded-Uri": "/", "X-Forwarded-Method": "GET", ...headers },
      redirect: "manual",
    });
  }

  /** The cookie `name` that `response` sets, with its attributes. */
  function cookieSet(response: Response, name: string): { value: string; attributes: string[] } {
    const line = response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${name}=`));
    assert.ok(line, `no ${name} cookie in ${JSON.stringify(response.headers.getSetCookie())}`);
    const [pair, ...attributes] = line.split(";").map((part) => part.trim());
    return { value: pair!.slice(name.length + 1), attributes };
  }

  /** Browser steps: the redirect to the login, the login form, its submission. Returns the callback URL with code and state. */
  async function logIn(username: string, secret: string): Promise<{ callback: URL; loginCookie: string }> {
    const started = await auth("authpod", { Accept: "text/html,application/xhtml+xml" });
    assert.equal(started.status, 302);
    const loginCookie = cookieSet(started, "tapis_pods_login").value;
    const authorize = new URL(started.headers.get("location")!);
    const page = await fetch(authorize);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type")!, /^text\/html/);
    const html = await page.text();
    assert.match(html, /<form method="post" action="\/v3\/oauth2\/authorize">/);
    const form = new URLSearchParams({ ...Object.fromEntries(authorize.searchParams), username, password: secret });
    const submitted = await fetch(`${svc.baseUrl}/v3/oauth2/authorize`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: form.toString(),
      redirect: "manual",
    });
    assert.equal(submitted.status, 302, await submitted.clone().text());
    return { callback: new URL(submitted.headers.get("location")!), loginCookie };
  }

  /** The callback as the proxy passes it from the pod's host to the API. */
  function callback(url: URL, cookie: string | null): Promise<Response> {
    return fetch(`${svc.baseUrl}${url.pathname}${url.search}`, { headers: cookie ? { Cookie: cookie } : {}, redirect: "manual" });
  }

  before(async () => {
    other = await trustedTenant("other");
    svc = await startTestService({ PODS_TENANT_KEYS_FILE: other.keysFile }, { logLevel: "debug" });
    alice = await svc.token("alice");
    bob = await svc.token("bob");
    password = (JSON.parse(await readFile(join(svc.dataDir, "dev-users.json"), "utf8")) as Record<string, string>).alice!;
    const networking = {
      default: {
        protocol: "http",
        port: 8080,
        tapis_auth: true,
        tapis_auth_allowed_users: ["alice"],
        tapis_auth_return_path: "/home",
        tapis_auth_response_headers: { "X-Tapis-Username": "<<tapisusername>>", "X-Who": "<<tapisusername>>@<<tapistenantid>>.<<tapissiteid>>" },
      },
    };
    for (const [podId, net] of [
      ["authpod", networking],
      ["otherpod", networking],
      ["openpod", { default: { protocol: "http", port: 8080 } }],
      ["grouppod", { default: { protocol: "http", port: 8080, tapis_auth: true, tapis_auth_allowed_users: ["AUTHORIZED_READS", "z[a-e]d"] } }],
    ] as const) {
      const created = await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: podId, image: "nginx:1", networking: net } });
      assert.equal(created.status, 200, created.body.message);
    }
  });
  after(() => svc.stop());

  it("letsAnAllowedUsersTokenPassWithTheTemplatedHeaders", async () => {
    const answer = await auth("authpod", { "X-Tapis-Token": alice, Accept: "*/*" });
    assert.equal(answer.status, 200, await answer.clone().text());
    assert.equal(answer.headers.get("x-tapis-username"), "alice");
    assert.equal(answer.headers.get("x-who"), "alice@dev.local");
  });

  it("refusesAnotherUserOfTheTenantWith403", async () => {
    const answer = await auth("authpod", { "X-Tapis-Token": bob, Accept: "text/html" });
    assert.equal(answer.status, 403);
    assert.match(((await answer.json()) as { message: string }).message, /user 'bob' may not use pod 'authpod'/);
    assert.equal(answer.headers.get("x-tapis-username"), null);
  });

  it("refusesAUserOfAnotherTenantWith403", async () => {
    const answer = await auth("authpod", { "X-Tapis-Token": await other.token("alice") });
    assert.equal(answer.status, 403);
    assert.match(((await answer.json()) as { message: string }).message, /a user of tenant 'other' may not use a pod of tenant 'dev'/);
  });

  it("answersACodeClientWithoutATokenWith401AndNeverARedirect", async () => {
    const answer = await auth("authpod", { Accept: "application/json" });
    assert.equal(answer.status, 401);
    assert.equal(answer.headers.get("location"), null);
    assert.match(((await answer.json()) as { message: string }).message, /X-Tapis-Token header or a login is required/);
  });

  it("refusesAnInvalidTokenWith401EvenFromABrowser", async () => {
    const answer = await auth("authpod", { "X-Tapis-Token": "not-a-token", Accept: "text/html" });
    assert.equal(answer.status, 401);
    assert.equal(answer.headers.get("location"), null);
  });

  it("redirectsABrowserToTheTenantsAuthorizeEndpointWithAStateBoundToALoginCookie", async () => {
    const answer = await auth("authpod", { Accept: "text/html,application/xhtml+xml" });
    assert.equal(answer.status, 302);
    const location = new URL(answer.headers.get("location")!);
    assert.equal(`${location.origin}${location.pathname}`, `${svc.baseUrl}/v3/oauth2/authorize`);
    assert.equal(location.searchParams.get("response_type"), "code");
    assert.equal(location.searchParams.get("client_id"), "tapis-pods");
    assert.equal(location.searchParams.get("redirect_uri"), callbackUrl);
    assert.ok((location.searchParams.get("state") ?? "").length > 20);
    const cookie = cookieSet(answer, "tapis_pods_login");
    assert.deepEqual(cookie.attributes.sort(), ["HttpOnly", "Max-Age=600", "Path=/v3/pods/authpod/auth/callback", "SameSite=Lax", "Secure"]);
  });

  it("givesTheLoginRedirectAs401WithLocationToProxiesThatCannotPassARedirect", async () => {
    const answer = await auth("authpod", { Accept: "text/html", "X-Pods-Redirect-Status": "401" });
    assert.equal(answer.status, 401);
    assert.match(answer.headers.get("location") ?? "", /\/v3\/oauth2\/authorize\?/);
    cookieSet(answer, "tapis_pods_login");
  });

  it("tradesTheCodeForASessionCookieThatLetsTheBrowserInAndIsNoTapisToken", async () => {
    const { callback: url, loginCookie } = await logIn("alice", password);
    assert.equal(`${url.origin}${url.pathname}`, callbackUrl);
    assert.ok(url.searchParams.get("code"));
    const landed = await callback(url, `tapis_pods_login=${loginCookie}`);
    assert.equal(landed.status, 302, await landed.clone().text());
    assert.equal(landed.headers.get("location"), "/home");
    const session = cookieSet(landed, "tapis_pods_session");
    assert.deepEqual(session.attributes.filter((a) => !a.startsWith("Max-Age=")).sort(), ["HttpOnly", "Path=/", "SameSite=Lax", "Secure"]);
    assert.equal(cookieSet(landed, "tapis_pods_login").value, "");

    const inside = await auth("authpod", { Cookie: `tapis_pods_session=${session.value}`, Accept: "text/html" });
    assert.equal(inside.status, 200);
    assert.equal(inside.headers.get("x-tapis-username"), "alice");
    // The cookie opens this pod only, and is no token for the API.
    const elsewhere = await auth("otherpod", { Cookie: `tapis_pods_session=${session.value}`, Accept: "application/json", "X-Forwarded-Host": "otherpod.pods.dev.localhost" });
    assert.equal(elsewhere.status, 401);
    assert.equal((await svc.api("GET", "/v3/pods", { token: session.value })).status, 401);
    // A code works once.
    const again = await callback(url, `tapis_pods_login=${loginCookie}`);
    assert.equal(again.status, 401);
    assert.match(((await again.json()) as { message: string }).message, /code/);
  });

  it("writesNoTokenCodeStateOrSessionIntoTheLogs", async () => {
    const { callback: url, loginCookie } = await logIn("alice", password);
    const landed = await callback(url, `tapis_pods_login=${loginCookie}`);
    const session = cookieSet(landed, "tapis_pods_session").value;
    await auth("authpod", { Cookie: `tapis_pods_session=${session}`, Accept: "text/html" });
    await auth("authpod", { "X-Tapis-Token": alice });
    const logs = svc.rawLogLines().join("");
    assert.ok(logs.includes("PodAuth"), "the calls are logged");
    for (const [what, secret] of [
      ["code", url.searchParams.get("code")!],
      ["state", url.searchParams.get("state")!],
      ["login cookie", loginCookie],
      ["session", session],
      ["token", alice],
      ["password", password],
    ]) {
      assert.ok(!logs.includes(secret), `the ${what} is in the logs`);
    }
  });

  it("refusesACallbackWhoseLoginBeganInAnotherBrowser", async () => {
    const { callback: url } = await logIn("alice", password);
    const answer = await callback(url, null);
    assert.equal(answer.status, 400);
    assert.match(((await answer.json()) as { message: string }).message, /state: the login did not start in this browser/);
  });

  it("refusesAUserNotAllowedAtTheCallbackWithoutACookie", async () => {
    const bobPassword = (JSON.parse(await readFile(join(svc.dataDir, "dev-users.json"), "utf8")) as Record<string, string>).bob!;
    const { callback: url, loginCookie } = await logIn("bob", bobPassword);
    const answer = await callback(url, `tapis_pods_login=${loginCookie}`);
    assert.equal(answer.status, 403);
    assert.ok(!answer.headers.getSetCookie().some((cookie) => cookie.startsWith("tapis_pods_session=") && !cookie.startsWith("tapis_pods_session=;")));
  });

  it("showsTheLoginFormAgainAfterAWrongPassword", async () => {
    const started = await auth("authpod", { Accept: "text/html" });
    const authorize = new URL(started.headers.get("location")!);
    const answer = await fetch(`${svc.baseUrl}/v3/oauth2/authorize`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ...Object.fromEntries(authorize.searchParams), username: "alice", password: "wrong" }).toString(),
      redirect: "manual",
    });
    assert.equal(answer.status, 401);
    assert.match(await answer.text(), /Invalid username or password[\s\S]*<form method="post"/);
  });

  it("refusesALoginThatWouldReturnAnywhereButAPodsCallback", async () => {
    const answer = await fetch(`${svc.baseUrl}/v3/oauth2/authorize?client_id=tapis-pods&response_type=code&state=x&redirect_uri=${encodeURIComponent("https://evil.example.org/steal")}`);
    assert.equal(answer.status, 400);
    assert.match(await answer.text(), /redirect_uri: must be the login callback of a pod/);
  });

  it("refusesAnAuthorizationCodeGrantWithoutTheClientsKey", async () => {
    const { callback: url } = await logIn("alice", password);
    const answer = await svc.api("POST", "/v3/oauth2/tokens", {
      body: { grant_type: "authorization_code", code: url.searchParams.get("code"), redirect_uri: callbackUrl, client_id: "tapis-pods", client_key: "guess" },
    });
    assert.equal(answer.status, 401);
    assert.match(answer.body.message, /client_id or client_key is wrong/);
  });

  it("resolvesPermissionGroupsAndPatternsOfAllowedUsers", async () => {
    const asked = (token: string) => auth("grouppod", { "X-Tapis-Token": token, "X-Forwarded-Host": "grouppod.pods.dev.localhost" });
    assert.equal((await asked(alice)).status, 200); // ADMIN, so at least READ
    assert.equal((await asked(bob)).status, 403);
    assert.equal((await svc.api("POST", "/v3/pods/grouppod/permissions", { token: alice, body: { user: "bob", level: "READ" } })).status, 200);
    assert.equal((await asked(bob)).status, 200);
    assert.equal((await asked(await svc.token("zed"))).status, 200);
    assert.equal((await asked(await svc.token("zfd"))).status, 403);
  });

  it("refusesToAuthorizeForAnEntryWithoutTapisAuthOrAnotherHost", async () => {
    const open = await auth("openpod", { "X-Tapis-Token": alice, "X-Forwarded-Host": "openpod.pods.dev.localhost" });
    assert.equal(open.status, 403);
    assert.match(((await open.json()) as { message: string }).message, /networking entry 'default' of pod 'openpod' has no tapis_auth/);
    const wrongHost = await auth("authpod", { "X-Tapis-Token": alice, "X-Forwarded-Host": "otherpod.pods.dev.localhost" });
    assert.equal(wrongHost.status, 403);
    assert.match(((await wrongHost.json()) as { message: string }).message, /X-Forwarded-Host: 'otherpod.pods.dev.localhost' is not the host of 'authpod'/);
  });

  it("namesWhatIsMissing", async () => {
    const noTenant = await auth("authpod", { "X-Tapis-Token": alice }, "");
    assert.equal(noTenant.status, 400);
    assert.match(((await noTenant.json()) as { message: string }).message, /tenant_id: is required/);
    const noPod = await auth("nosuchpod", { "X-Tapis-Token": alice });
    assert.equal(noPod.status, 404);
    const noEntry = await auth("authpod-bolt", { "X-Tapis-Token": alice });
    assert.equal(noEntry.status, 404);
    assert.match(((await noEntry.json()) as { message: string }).message, /pod 'authpod' has no networking entry 'bolt'/);
    const noCode = await fetch(`${svc.baseUrl}/v3/pods/authpod/auth/callback`);
    assert.equal(noCode.status, 400);
    assert.match(((await noCode.json()) as { message: string }).message, /code: is required/);
  });
});
