import assert from "node:assert/strict";
import { gateRequest, setCookie, type GateAnswer } from "../support/gate-http.js";
import { podId, startTestService, type TestService } from "../support/test-service.js";

type Json = Record<string, any>;

/**
 * The access gate: a pod's owners let people without a Tapis account in,
 * with a password or a high-entropy link. A secret is shown once and stored
 * only hashed; redeeming it sets an HttpOnly cookie the gate (the proxy's
 * forward-auth question) accepts while the token lives; failed attempts are
 * limited per client address; every mint, revoke and redemption is audited.
 * test/infra/edge-access-gate.test.ts takes the same path through nginx.
 */
describe("access gate", () => {
  let svc: TestService;
  let alice: string;
  // The control plane's clock, moved forward to let tokens expire and lockouts end.
  let skewMs = 0;

  before(async () => {
    svc = await startTestService({}, { logLevel: "debug", now: () => Date.now() + skewMs });
    alice = await svc.token("alice");
  });
  after(() => svc.stop());

  async function gatedPod(prefix: string, networking: Json = { default: { protocol: "http", port: 8080, access_gate: true } }): Promise<string> {
    const id = podId(prefix);
    const created = await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: id, image: "nginx:1", networking } });
    assert.equal(created.status, 200, created.body.message);
    return id;
  }

  const mint = (id: string, body: Json, token = alice) => svc.api("POST", `/v3/pods/${id}/access-tokens`, { token, body });
  const tokens = async (id: string): Promise<Json[]> => (await svc.api("GET", `/v3/pods/${id}/access-tokens`, { token: alice })).body.result;
  const gate = (id: string, headers: Record<string, string> = {}, from?: string) => gateRequest(svc.baseUrl, `/v3/pods/${id}/gate?tenant_id=dev`, { headers, from });
  const redeemLink = (id: string, secret: string, from?: string) => gateRequest(svc.baseUrl, `/v3/pods/${id}/gate/redeem?tenant_id=dev&access=${encodeURIComponent(secret)}`, { from });
  const redeemForm = (id: string, form: Record<string, string>, from?: string) => gateRequest(svc.baseUrl, `/v3/pods/${id}/gate/redeem?tenant_id=dev`, { form, from });
  // __Host-: browsers keep it to the pod's own host, so a sibling pod cannot set one that shadows it.
  const cookieName = (id: string) => `__Host-tapis_pod_gate_${id}`;
  const withCookie = (id: string, value: string) => ({ Cookie: `${cookieName(id)}=${value}` });

  /** The text of an HTML answer without its tags, to read what a visitor reads. */
  const visible = (answer: GateAnswer) => answer.text.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");

  it("mintsALinkAndAPasswordShowingEachSecretOnceAndStoringOnlyHashes", async () => {
    const id = await gatedPod("minted");
    const link = await mint(id, { label: "family link" });
    assert.equal(link.status, 200, link.body.message);
    assert.equal(link.body.message, "Access token minted. Save the secret now — it will not be shown again.");
    const minted = link.body.result;
    assert.deepEqual(Object.keys(minted).sort(), ["created_at", "created_by", "expires_at", "id", "kind", "label", "last_used_at", "max_uses", "pod_id", "redemption_url", "revoked", "secret", "uses"]);
    assert.equal(minted.kind, "link");
    assert.equal(minted.label, "family link");
    assert.equal(minted.created_by, "alice");
    assert.equal(minted.pod_id, id);
    assert.match(minted.secret, /^[A-Za-z0-9_-]{32}$/, "192 random bits");
    assert.equal(minted.redemption_url, `https://${id}.pods.dev.localhost/v3/pods/${id}/gate/redeem?access=${minted.secret}`);
    assert.deepEqual([minted.uses, minted.revoked, minted.max_uses, minted.expires_at, minted.last_used_at], [0, false, null, null, null]);

    const password = await mint(id, { label: "day-of password", kind: "password", password: "correct horse", max_uses: 5, expires_in_seconds: 86_400 });
    assert.equal(password.status, 200, password.body.message);
    assert.equal(password.body.result.secret, "correct horse");
    assert.equal(password.body.result.redemption_url, "", "a password is typed, never put in a link");
    assert.equal(password.body.result.max_uses, 5);
    assert.ok(Math.abs(Date.parse(password.body.result.expires_at) - Date.parse(password.body.result.created_at) - 86_400_000) < 2000);

    const listed = await tokens(id);
    assert.deepEqual(listed.map((t) => t.label).sort(), ["day-of password", "family link"]);
    for (const token of listed) assert.deepEqual(Object.keys(token).sort(), ["created_at", "created_by", "expires_at", "id", "kind", "label", "last_used_at", "max_uses", "pod_id", "revoked", "uses"]);

    const rows = (await svc.service.controlPlane.db.read((m) => m.query("SELECT * FROM pod_access_tokens WHERE pod_id = ?", [id]))) as Json[];
    const stored = JSON.stringify(rows);
    assert.ok(!stored.includes(minted.secret) && !stored.includes("correct horse"), "no secret is stored as it is");
    assert.ok(rows.some((row) => /^scrypt\$/.test(String(row.password_hash))), "a password is stored as a scrypt hash");
    assert.ok(!svc.rawLogLines().some((line) => line.includes(minted.secret) || line.includes("correct horse")), "no secret reaches a log line");
  });

  it("refusesBadMintRequestsNamingTheField", async () => {
    const id = await gatedPod("refused");
    const cases: [Json, string][] = [
      [{ kind: "key" }, "kind: must be 'link' or 'password'"],
      [{ kind: "link", password: "chosen by me" }, "password: is only accepted with kind 'password'; a link's secret is generated"],
      [{ kind: "password" }, "password: is required with kind 'password'"],
      [{ kind: "password", password: "short" }, "password: must be 6-1024 characters"],
      [{ max_uses: 0 }, "max_uses: must be at least 1"],
      [{ expires_in_seconds: 0 }, "expires_in_seconds: must be between 1 and 315360000"],
      [{ label: "x".repeat(101) }, "label: must be at most 100 characters, without control characters"],
      [{ label: "line\nbreak" }, "label: must be at most 100 characters, without control characters"],
    ];
    for (const [body, message] of cases) {
      const answer = await mint(id, body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(answer.body.message, message);
    }
    assert.deepEqual(await tokens(id), [], "nothing is stored half-written");
  });

  it("answersTheGateWithALoginFormOrHandsALinkToRedemption", async () => {
    const id = await gatedPod("asked");
    const form = await gate(id);
    assert.equal(form.status, 401);
    assert.match(String(form.headers["content-type"]), /^text\/html/);
    assert.match(form.text, new RegExp(`<form[^>]+method="post"[^>]+action="/v3/pods/${id}/gate/redeem"`));
    assert.match(visible(form), /This site is private\. Enter the access code to continue\./);

    const handed = await gate(id, { "X-Forwarded-Uri": "/page?x=1&access=abc-123" });
    assert.equal(handed.status, 302);
    assert.equal(handed.headers.location, `/v3/pods/${id}/gate/redeem?access=abc-123`);
    const forNginx = await gate(id, { "X-Forwarded-Uri": "/?access=abc-123", "X-Pods-Redirect-Status": "401" });
    assert.equal(forNginx.status, 401);
    assert.equal(forNginx.headers.location, `/v3/pods/${id}/gate/redeem?access=abc-123`);

    const noTenant = await gateRequest(svc.baseUrl, `/v3/pods/${id}/gate`);
    assert.equal(noTenant.status, 400);
    assert.match(noTenant.text, /tenant_id: is required/);
  });

  it("redeemsALinkIntoAnHttpOnlyCookieThatTheGateAcceptsUntilTheTokenIsRevoked", async () => {
    const id = await gatedPod("linked", { default: { protocol: "http", port: 8080, access_gate: true, access_gate_return_path: "/welcome" } });
    const { secret, id: tokenId } = (await mint(id, { label: "family link" })).body.result;
    const redeemed = await redeemLink(id, secret, "127.0.0.10");
    assert.equal(redeemed.status, 302, redeemed.text);
    assert.equal(redeemed.headers.location, "/welcome");
    const cookie = setCookie(redeemed, cookieName(id));
    assert.ok(cookie, JSON.stringify(redeemed.headers["set-cookie"]));
    assert.notEqual(cookie.value, secret, "the cookie holds a sealed session, not the secret");
    assert.deepEqual(cookie.attributes.filter((a) => !a.startsWith("Max-Age=")), ["Path=/", "HttpOnly", "Secure", "SameSite=Lax"]);
    assert.equal(cookie.attributes.find((a) => a.startsWith("Max-Age=")), "Max-Age=604800");

    const passed = await gate(id, withCookie(id, cookie.value));
    assert.equal(passed.status, 200, passed.text);
    assert.equal(passed.headers["x-tapis-gate-code"], "family link");
    const [token] = await tokens(id);
    assert.equal(token!.uses, 1);
    assert.ok(token!.last_used_at);

    const revoked = await svc.api("DELETE", `/v3/pods/${id}/access-tokens/${tokenId}`, { token: alice });
    assert.equal(revoked.status, 200, revoked.body.message);
    assert.equal(revoked.body.message, "Access token revoked successfully.");
    assert.equal(revoked.body.result[0].revoked, true);
    assert.equal((await gate(id, withCookie(id, cookie.value))).status, 401, "a revoked token's sessions end at once");
    const again = await redeemLink(id, secret, "127.0.0.10");
    assert.equal(again.status, 401);
    assert.match(visible(again), /This code has been turned off by the pod owner\. Ask them for a new one — nothing’s wrong on your end\./);
    const unknown = await svc.api("DELETE", `/v3/pods/${id}/access-tokens/00000000-0000-4000-8000-000000000000`, { token: alice });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.message, `access token '00000000-0000-4000-8000-000000000000' not found in pod '${id}'`);
  });

  it("redeemsATypedPasswordFromTheFormAndReturnsToThePathTheFormCarries", async () => {
    const id = await gatedPod("typed");
    await mint(id, { label: "day-of", kind: "password", password: "correct horse" });
    const redeemed = await redeemForm(id, { secret: "correct horse", return_path: "/app/start" }, "127.0.0.11");
    assert.equal(redeemed.status, 302, redeemed.text);
    assert.equal(redeemed.headers.location, "/app/start");
    const cookie = setCookie(redeemed, cookieName(id))!;
    assert.equal((await gate(id, withCookie(id, cookie.value))).headers["x-tapis-gate-code"], "day-of");
    // A return path is a path on the pod's host: anything else goes to the entry's own.
    const elsewhere = await redeemForm(id, { secret: "correct horse", return_path: "https://evil.example.org/" }, "127.0.0.11");
    assert.equal(elsewhere.headers.location, "/");
    const empty = await redeemForm(id, { secret: "" }, "127.0.0.11");
    assert.equal(empty.status, 401);
    assert.match(visible(empty), /Enter the access code above to continue\./);
  });

  it("endsTokensAtTheirUseLimitAndExpiry", async () => {
    const id = await gatedPod("limited");
    const once = (await mint(id, { label: "once", max_uses: 1 })).body.result.secret;
    assert.equal((await redeemLink(id, once, "127.0.0.12")).status, 302);
    const spent = await redeemLink(id, once, "127.0.0.12");
    assert.equal(spent.status, 401);
    assert.match(visible(spent), /This code has reached its sign-in limit\. Ask the pod owner for a new one — nothing’s wrong on your end\./);

    const brief = (await mint(id, { label: "brief", expires_in_seconds: 60 })).body.result.secret;
    const redeemed = await redeemLink(id, brief, "127.0.0.12");
    const cookie = setCookie(redeemed, cookieName(id))!;
    assert.equal(cookie.attributes.find((a) => a.startsWith("Max-Age=")), "Max-Age=60", "a session lasts no longer than its token");
    skewMs += 61_000;
    try {
      assert.equal((await gate(id, withCookie(id, cookie.value))).status, 401);
      const late = await redeemLink(id, brief, "127.0.0.12");
      assert.equal(late.status, 401);
      assert.match(visible(late), /This code has expired\. Ask the pod owner for a fresh one — nothing’s wrong on your end\./);
    } finally {
      skewMs -= 61_000;
    }
  });

  it("locksOutAClientAddressAfterTenFailedAttemptsWhateverThePodAndLeaksNothingAboutGates", async () => {
    const gated = await gatedPod("guarded");
    const { secret } = (await mint(gated, { label: "real" })).body.result;
    const ungated = await gatedPod("open", { default: { protocol: "http", port: 8080 } });
    const missing = podId("ghost");
    const attacker = "127.0.0.20";
    const shape = (answer: GateAnswer, id: string) => ({
      status: answer.status,
      type: answer.headers["content-type"],
      cache: answer.headers["cache-control"],
      cookie: answer.headers["set-cookie"],
      // The wait is told in seconds, which tick between the three answers.
      text: answer.text.replaceAll(id, "<pod>").replace(/about [0-9]+m [0-9]+s/, "about <wait>"),
    });
    const answers: Record<string, ReturnType<typeof shape>[]> = { gated: [], ungated: [], missing: [] };
    for (let attempt = 1; attempt <= 11; attempt++) {
      answers.gated!.push(shape(await redeemLink(gated, `guess-${attempt}`, attacker), gated));
      answers.ungated!.push(shape(await redeemForm(ungated, { secret: `guess-${attempt}` }, attacker), ungated));
      answers.missing!.push(shape(await redeemLink(missing, `guess-${attempt}`, attacker), missing));
    }
    assert.deepEqual(answers.ungated, answers.gated, "a pod without a gate answers as one with a gate and a wrong code");
    assert.deepEqual(answers.missing, answers.gated, "a pod that does not exist answers the same");
    assert.deepEqual(answers.gated.map((a) => a.status), [401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 429]);
    assert.match(answers.gated[0]!.text, /We don’t recognize that code\. Check it for typos and try again\./);
    assert.match(answers.gated[10]!.text, /Too many attempts from your network\. Please wait about <wait> and try again\./);

    // The limit holds even for the right secret, from that address only.
    const locked = await redeemLink(gated, secret, attacker);
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers["retry-after"]) > 0 && Number(locked.headers["retry-after"]) <= 300);
    assert.equal(setCookie(locked, cookieName(gated)), undefined);
    assert.equal((await redeemLink(gated, secret, "127.0.0.21")).status, 302, "another client is not locked out");
    // The gate's own answer does not tell pods apart either.
    assert.deepEqual(shape(await gate(ungated, {}, attacker), ungated), shape(await gate(gated, {}, attacker), gated));
    assert.deepEqual(shape(await gate(missing, {}, attacker), missing), shape(await gate(gated, {}, attacker), gated));

    skewMs += 301_000;
    try {
      assert.equal((await redeemLink(gated, secret, attacker)).status, 302, "the lockout ends with its window");
    } finally {
      skewMs -= 301_000;
    }
  });

  it("countsGuessesSentAtOnceAgainstTheLimit", async () => {
    const id = await gatedPod("burst");
    await mint(id, { label: "real", kind: "password", password: "the real one" });
    const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => redeemForm(id, { secret: `burst-${i}` }, "127.0.0.40").then((a) => a.status)));
    const checked = statuses.filter((status) => status === 401).length;
    assert.ok(checked >= 1 && checked <= 10, `at most 10 of 40 guesses sent at once are checked; statuses: ${statuses.join(",")}`);
    assert.equal(statuses.filter((status) => status === 429).length, 40 - checked, `every other guess is refused as locked out; statuses: ${statuses.join(",")}`);
    const audit: Json[] = (await svc.api("GET", `/v3/pods/${id}/access-tokens/audit`, { token: alice })).body.result;
    assert.equal(audit.filter((e) => e.action === "refused").length, checked);
  });

  it("limitsAnAddressAcrossPodsSoGuessingAtManyPodsEndsToo", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 55; i++) statuses.push((await redeemLink(podId(`nopod${i}`), "guess", "127.0.0.41")).status);
    assert.deepEqual(statuses, [...Array(50).fill(401), ...Array(5).fill(429)], "50 failures per address in the window, whatever the pods");
    assert.equal((await redeemLink(podId("nopod"), "guess", "127.0.0.42")).status, 401, "another address is not limited");
  });

  it("keepsAnAddressesFailuresWhenItRedeemsACorrectCodeAndRecordsALockoutOnce", async () => {
    const id = await gatedPod("persist");
    const { secret } = (await mint(id, { label: "real" })).body.result;
    const from = "127.0.0.43";
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) statuses.push((await redeemLink(id, `wrong-${i}`, from)).status);
    statuses.push((await redeemLink(id, secret, from)).status);
    for (let i = 0; i < 5; i++) statuses.push((await redeemLink(id, `again-${i}`, from)).status);
    assert.deepEqual(statuses, [...Array(9).fill(401), 302, 401, 429, 429, 429, 429], "a good code does not wipe out the failures before it");
    const audit: Json[] = (await svc.api("GET", `/v3/pods/${id}/access-tokens/audit`, { token: alice })).body.result;
    assert.deepEqual(audit.filter((e) => e.action === "locked").map((e) => [e.actor, e.detail]), [[from, "10 failed attempts"]], "one entry per lockout, however many attempts it refuses");
  });

  it("checksOneHashPerGuessHoweverManyPasswordsAPodHas", async () => {
    const id = await gatedPod("salted");
    for (const password of ["first password", "second password", "third password"]) {
      assert.equal((await mint(id, { label: password, kind: "password", password })).status, 200);
    }
    const rows = (await svc.service.controlPlane.db.read((m) => m.query("SELECT password_hash FROM pod_access_tokens WHERE pod_id = ?", [id]))) as Json[];
    const derivations = new Set(rows.map((row) => String(row.password_hash).split("$").slice(0, 5).join("$")));
    assert.equal(derivations.size, 1, "a pod's passwords share their salt and cost, so a guess is hashed once: as long whatever the pod holds");
    for (const password of ["first password", "third password"]) assert.equal((await redeemForm(id, { secret: password }, "127.0.0.44")).status, 302);
  });

  it("refusesALoginFormPostedFromAnotherSite", async () => {
    const id = await gatedPod("csrf");
    await mint(id, { label: "real", kind: "password", password: "the real one" });
    const post = (headers: Record<string, string>) =>
      gateRequest(svc.baseUrl, `/v3/pods/${id}/gate/redeem?tenant_id=dev`, { form: { secret: "the real one" }, headers, from: "127.0.0.45" });
    const host = `${id}.pods.dev.localhost`;
    const crossSite: Record<string, string>[] = [{ "Sec-Fetch-Site": "cross-site" }, { "Sec-Fetch-Site": "same-site" }, { Origin: "https://evil.example" }, { Origin: `https://other.pods.dev.localhost`, "X-Forwarded-Host": host }];
    for (const headers of crossSite) {
      const refused = await post(headers);
      assert.equal(refused.status, 403, JSON.stringify(headers));
      assert.match(JSON.parse(refused.text).message, /^the login form must be sent from the pod's own page/);
      assert.equal(setCookie(refused, cookieName(id)), undefined);
    }
    const audit: Json[] = (await svc.api("GET", `/v3/pods/${id}/access-tokens/audit`, { token: alice })).body.result;
    assert.deepEqual(audit.map((e) => e.action), ["mint"], "refused before it is checked: no attempt counted or audited");
    assert.equal((await post({ "Sec-Fetch-Site": "same-origin", Origin: `https://${host}`, "X-Forwarded-Host": host })).status, 302, "the pod's own page signs in");
  });

  it("auditsEveryMintRevokeAndRedemptionForThePodsUsers", async () => {
    const id = await gatedPod("audited");
    const { secret, id: tokenId } = (await mint(id, { label: "audited link" })).body.result;
    await redeemLink(id, secret, "127.0.0.30");
    await redeemLink(id, "wrong-guess", "127.0.0.30");
    await svc.api("DELETE", `/v3/pods/${id}/access-tokens/${tokenId}`, { token: alice });
    const audit = await svc.api("GET", `/v3/pods/${id}/access-tokens/audit`, { token: alice });
    assert.equal(audit.status, 200, audit.body.message);
    assert.equal(audit.body.message, "Pod access gate audit retrieved successfully.");
    const entries = audit.body.result.map((e: Json) => [e.action, e.token_id, e.label, e.actor, e.detail]);
    assert.deepEqual(entries, [
      ["revoke", tokenId, "audited link", "alice", ""],
      ["refused", "", "", "127.0.0.30", "not_found"],
      ["redeem", tokenId, "audited link", "127.0.0.30", ""],
      ["mint", tokenId, "audited link", "alice", "link"],
    ]);
    assert.ok(audit.body.result.every((e: Json) => Date.parse(e.at) > 0));
    assert.ok(!JSON.stringify(audit.body).includes(secret) && !JSON.stringify(audit.body).includes("wrong-guess"));
    const actions: string[] = (await svc.api("GET", `/v3/pods/${id}/logs`, { token: alice })).body.result.action_logs;
    assert.ok(actions.some((line) => line.endsWith("Minted access-gate code 'audited link' (link) by alice")), JSON.stringify(actions));
    assert.ok(actions.some((line) => line.endsWith("Revoked access-gate code 'audited link' by alice")), JSON.stringify(actions));
  });

  it("refusesAGateOnAnEntryThatIsNotHttpOrHasTapisAuthAndABadReturnPath", async () => {
    const cases: [Json, string][] = [
      [{ default: { protocol: "tcp", port: 5432, access_gate: true } }, "networking.default.access_gate: applies only to http entries"],
      [{ default: { protocol: "http", port: 8080, access_gate: true, tapis_auth: true } }, "networking.default.access_gate: cannot be combined with tapis_auth; an entry lets visitors in one way"],
      [{ default: { protocol: "http", port: 8080, access_gate: true, access_gate_return_path: "https://elsewhere" } }, "networking.default.access_gate_return_path: must be a path starting with one '/', of letters, digits, '.', '_', '-' and '/', at most 180 characters"],
    ];
    for (const [networking, message] of cases) {
      const answer = await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: podId("badgate"), image: "nginx:1", networking } });
      assert.equal(answer.status, 400, JSON.stringify(networking));
      assert.equal(answer.body.message, message);
    }
    const shown = (await svc.api("GET", `/v3/pods/${await gatedPod("shown")}`, { token: alice })).body.result.networking.default;
    assert.deepEqual([shown.access_gate, shown.access_gate_return_path], [true, "/"]);
  });

  it("forgetsAPodsTokensAndSessionsWhenThePodIsDeleted", async () => {
    const id = await gatedPod("reborn");
    const { secret } = (await mint(id, { label: "old" })).body.result;
    const cookie = setCookie(await redeemLink(id, secret, "127.0.0.40"), cookieName(id))!;
    assert.equal((await svc.api("DELETE", `/v3/pods/${id}`, { token: alice })).status, 200);
    const bob = await svc.token("bob");
    assert.equal((await svc.api("POST", "/v3/pods", { token: bob, body: { pod_id: id, image: "nginx:1", networking: { default: { protocol: "http", port: 8080, access_gate: true } } } })).status, 200);
    assert.deepEqual((await svc.api("GET", `/v3/pods/${id}/access-tokens`, { token: bob })).body.result, []);
    assert.equal((await gate(id, withCookie(id, cookie.value))).status, 401, "the old pod's session opens nothing");
    assert.equal((await redeemLink(id, secret, "127.0.0.40")).status, 401, "the old pod's secret opens nothing");
  });

  it("letsOnlyThePodsUsersManageItsTokens", async () => {
    const id = await gatedPod("shared");
    const bob = await svc.token("bob");
    const none = await mint(id, { label: "bob's" }, bob);
    assert.equal(none.status, 403);
    assert.equal(none.body.message, `USER permission on pod '${id}' is required; you have no permission`);
    await svc.api("POST", `/v3/pods/${id}/permissions`, { token: alice, body: { user: "bob", level: "READ" } });
    assert.equal((await svc.api("GET", `/v3/pods/${id}/access-tokens`, { token: bob })).status, 403);
    assert.equal((await svc.api("GET", `/v3/pods/${id}/access-tokens/audit`, { token: bob })).status, 403);
    await svc.api("POST", `/v3/pods/${id}/permissions`, { token: alice, body: { user: "bob", level: "USER" } });
    const minted = await mint(id, { label: "bob's" }, bob);
    assert.equal(minted.status, 200, minted.body.message);
    assert.equal(minted.body.result.created_by, "bob");
    assert.equal((await svc.api("DELETE", `/v3/pods/${id}/access-tokens/${minted.body.result.id}`, { token: bob })).status, 200);
  });
});
