import assert from "node:assert/strict";
import { generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { accessClaims, signClaims, trustedTenant, unsignedToken, type TrustedTenant } from "../support/tokens.js";
import { startTestService, type TestService } from "../support/test-service.js";

type Level = "READ" | "USER" | "ADMIN";
type Json = Record<string, any>;

/**
 * Who calls, in the order of each row's statuses: the pod's creator (alice);
 * bob holding ADMIN, USER, READ or no permission on it; a user of another
 * tenant, for whom the pod does not exist; a service administrator of the
 * pod's tenant (PODS_ADMIN_USERS, default admin@dev: ADMIN on every object of
 * its tenant).
 */
const callers = ["owner", "ADMIN", "USER", "READ", "none", "other tenant", "service admin"] as const;
type Caller = (typeof callers)[number];

/** The multipart body of upload_to_pod: hello.txt (6 bytes) to /tmp/hello.txt. */
const upload = Symbol("upload form");

interface Endpoint {
  method: string;
  path: string;
  /** The level the seed's permission table requires (ENDPOINTS.md §3). */
  required: Level;
  body?: unknown;
  /** The exact status per caller, in the order of `callers`. */
  status: [number, number, number, number, number, number, number];
  /** Asserts what a successful answer's `result` shows for pod `podId`. */
  shows?: (result: any, podId: string) => void;
}

const showsThePod = (result: Json, podId: string) => assert.equal(result.pod_id, podId);

/** The seed's permission table (plus the rows the upstream route table adds): endpoint × caller → status. */
// prettier-ignore
const podEndpoints: Endpoint[] = [
  //                                                                               owner ADMIN USER READ none other admin
  { method: "GET",    path: "/permissions",              required: "USER",  status: [200, 200, 200, 403, 403, 404, 200],
    shows: (result) => assert.ok(result.permissions.includes("alice:ADMIN") && result.permissions.includes("zed:READ"), JSON.stringify(result)) },
  { method: "DELETE", path: "/permissions/zed",          required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200],
    shows: (result) => assert.ok(!result.permissions.some((entry: string) => entry.startsWith("zed:")), JSON.stringify(result)) },
  { method: "POST",   path: "/permissions",              required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200],
    body: { user: "zed", level: "USER" },
    shows: (result) => assert.ok(result.permissions.includes("zed:USER"), JSON.stringify(result)) },
  { method: "GET",    path: "/logs",                     required: "READ",  status: [200, 200, 200, 200, 403, 404, 200],
    shows: (result, podId) => assert.match(result.logs, new RegExp(`pod ${podId} is simulated`)) },
  { method: "GET",    path: "/credentials",              required: "USER",  status: [200, 200, 200, 403, 403, 404, 200],
    shows: (result, podId) => assert.equal(result.user_username, podId) },
  // Each caller saves into a template of its own, which it creates by saving.
  { method: "POST",   path: "/save_pod_as_template_tag", required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200],
    body: (podId: string) => ({ template_id: `${podId}saved`, commit_message: "saved" }),
    shows: (result, podId) => assert.equal(result.template_id, `${podId}saved`) },
  { method: "GET",    path: "/stop",                     required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200],
    shows: (result) => assert.equal(result.status_requested, "OFF") },
  { method: "GET",    path: "/start",                    required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200],
    shows: (result) => assert.equal(result.status_requested, "ON") },
  { method: "GET",    path: "/restart",                  required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200],
    shows: (result) => assert.equal(result.status, "RESTARTING") },
  { method: "GET",    path: "/derived",                  required: "READ",  status: [200, 200, 200, 200, 403, 404, 200],
    shows: showsThePod },
  // The simulated cluster runs no command; it answers with a line saying so.
  { method: "POST",   path: "/exec",                     required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200],
    body: { commands: ["ls"] },
    shows: (result) => assert.match(result.results[0].output, /^\[simulated\] \["ls"\]/) },
  { method: "POST",   path: "/upload_to_pod",            required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200],
    body: upload,
    shows: (result) => assert.deepEqual(result, { uploaded: "/tmp/hello.txt" }) },
  // The output of each start/stop cycle: whoever may read the pod's logs.
  { method: "GET",    path: "/log-runs",                 required: "READ",  status: [200, 200, 200, 200, 403, 404, 200],
    shows: (result, podId) => assert.deepEqual(result.map((run: Json) => [run.pod_id, run.run_index]), [[podId, 1]]) },
  { method: "GET",    path: "/log-runs/1",               required: "READ",  status: [200, 200, 200, 200, 403, 404, 200],
    shows: (result, podId) => assert.match(result.logs, new RegExp(`pod ${podId} is simulated`)) },
  // Files in the pod's container: its administrators, as for exec (the simulated cluster has none).
  { method: "GET",    path: "/list_files/tmp",           required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200],
    shows: (result) => assert.deepEqual(result, { path: "tmp", files: [], count: 0 }) },
  // The access gate's credentials and their audit: the pod's users, as upstream has it.
  { method: "GET",    path: "/access-tokens",            required: "USER",  status: [200, 200, 200, 403, 403, 404, 200],
    shows: (result) => assert.deepEqual(result, []) },
  { method: "POST",   path: "/access-tokens",            required: "USER",  status: [200, 200, 200, 403, 403, 404, 200],
    body: { label: "guests" },
    shows: (result) => assert.ok(result.label === "guests" && result.kind === "link" && result.secret.length === 32, JSON.stringify(result)) },
  { method: "GET",    path: "/access-tokens/audit",      required: "USER",  status: [200, 200, 200, 403, 403, 404, 200],
    shows: (result) => assert.ok(Array.isArray(result)) },
  // Who ran what in the pod: its administrators only.
  { method: "GET",    path: "/exec-audit",               required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200],
    shows: (result) => assert.deepEqual(result, []) },
  { method: "GET",    path: "",                          required: "READ",  status: [200, 200, 200, 200, 403, 404, 200],
    shows: showsThePod },
  { method: "PUT",    path: "",                          required: "USER",  status: [200, 200, 200, 403, 403, 404, 200],
    body: { description: "changed" },
    shows: (result) => assert.equal(result.description, "changed") },
  { method: "DELETE", path: "",                          required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200],
    shows: (result) => assert.equal(result, "") },
  // Attaching adds a mount, effective on the next start.
  { method: "POST",   path: "/volumes",                  required: "USER",  status: [200, 200, 200, 403, 403, 404, 200],
    body: { volume_mounts: { "/etc/extra.ini": { type: "ephemeral", config_content: "a=1" } } },
    shows: (result) => assert.equal(result.volume_mounts["/etc/extra.ini"].config_content, "<3 bytes; use include_configs=true to show>") },
];

describe("authorization of pod endpoints", () => {
  let svc: TestService;
  let alice: string;
  let otherTenant: TrustedTenant;
  let otherIssuer: string;

  before(async () => {
    otherTenant = await trustedTenant();
    otherIssuer = otherTenant.issuer;
    svc = await startTestService({ PODS_TENANT_KEYS_FILE: otherTenant.keysFile });
    alice = await svc.token("alice");
  });
  after(() => svc.stop());

  const tokenOf = (tenant: string, username: string, key: CryptoKey, alg = "RS256", expiresIn = 3600) =>
    signClaims(key, accessClaims(tenant, username, otherIssuer, { exp: Math.floor(Date.now() / 1000) + expiresIn }), alg);

  let counter = 0;
  async function podSharedWith(user: string, level: Level | "NONE"): Promise<string> {
    const id = `authz${++counter}`;
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: id, template: "neo4j" } })).status, 200);
    await svc.api("POST", `/v3/pods/${id}/permissions`, { token: alice, body: { user: "zed", level: "READ" } });
    if (level !== "NONE") {
      assert.equal((await svc.api("POST", `/v3/pods/${id}/permissions`, { token: alice, body: { user, level } })).status, 200);
    }
    return id;
  }

  it("refusesRequestsWithoutATokenWith401", async () => {
    const answer = await svc.api("GET", "/v3/pods");
    assert.equal(answer.status, 401);
    assert.match(answer.body.message, /X-Tapis-Token header is required/);
  });

  it("refusesForgedExpiredAndNonRs256TokensWith401", async () => {
    const stranger = await generateKeyPair("RS256");
    const cases: [string, RegExp][] = [
      ["not-a-jwt", /not a JWT/],
      [await tokenOf("dev", "alice", stranger.privateKey), /signature or claims are invalid/],
      [await tokenOf("nowhere", "alice", stranger.privateKey), /unknown tenant 'nowhere'/],
      [await tokenOf("other", "alice", otherTenant.privateKey, "RS256", -3600), /expired/],
      [await new SignJWT({ "tapis/tenant_id": "dev", "tapis/username": "alice" }).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode("secret")), /RS256|invalid/],
      [unsignedToken({ "tapis/tenant_id": "dev", "tapis/username": "alice", exp: Math.floor(Date.now() / 1000) + 3600 }), /RS256|invalid/],
    ];
    for (const [token, pattern] of cases) {
      const answer = await svc.api("GET", "/v3/pods", { token });
      assert.equal(answer.status, 401, `token ${token.slice(0, 20)}: ${answer.body.message}`);
      assert.match(answer.body.message, pattern);
    }
  });

  it("hidesEveryPodFromAnotherTenant", async () => {
    const id = await podSharedWith("bob", "ADMIN");
    const outsider = await tokenOf("other", "alice", otherTenant.privateKey);
    assert.deepEqual((await svc.api("GET", "/v3/pods", { token: outsider })).body.result, []);
    for (const endpoint of podEndpoints) {
      const answer = await call(endpoint, id, outsider);
      assert.equal(answer.status, 404, `${endpoint.method} ${endpoint.path}: ${answer.body.message}`);
    }
    assert.equal((await svc.api("GET", `/v3/pods/${id}`, { token: alice })).status, 200);
  });

  it("letsAnotherTenantUseTheSamePodIdSeparately", async () => {
    const outsider = await tokenOf("other", "carol", otherTenant.privateKey);
    const id = await podSharedWith("bob", "NONE");
    const theirs = await svc.api("POST", "/v3/pods", { token: outsider, body: { pod_id: id, template: "postgres" } });
    assert.equal(theirs.status, 200);
    assert.equal((await svc.api("GET", `/v3/pods/${id}`, { token: alice })).body.result.template, "neo4j");
    assert.equal((await svc.api("GET", `/v3/pods/${id}`, { token: outsider })).body.result.template, "postgres");
  });

  /** A token of `caller`, and the level it holds on a pod alice created and shared with bob at `level`. */
  async function callerOn(caller: Caller): Promise<{ token: string; level: Level | "NONE" }> {
    switch (caller) {
      case "owner":
        return { token: alice, level: "ADMIN" };
      case "other tenant":
        return { token: await tokenOf("other", "alice", otherTenant.privateKey), level: "NONE" };
      case "service admin":
        return { token: await svc.token("admin"), level: "ADMIN" };
      case "none":
        return { token: await svc.token("bob"), level: "NONE" };
      default:
        return { token: await svc.token("bob"), level: caller };
    }
  }

  async function call(endpoint: Endpoint, podId: string, token: string): Promise<{ status: number; body: Json }> {
    const path = `/v3/pods/${podId}${endpoint.path}`;
    if (typeof endpoint.body === "function") return svc.api(endpoint.method, path, { token, body: endpoint.body(podId) });
    if (endpoint.body !== upload) return svc.api(endpoint.method, path, { token, body: endpoint.body });
    const form = new FormData();
    form.append("file", new Blob(["hello\n"], { type: "text/plain" }), "hello.txt");
    form.append("dest_path", "/tmp/hello.txt");
    const response = await fetch(svc.baseUrl + path, { method: endpoint.method, headers: { "X-Tapis-Token": token }, body: form });
    return { status: response.status, body: (await response.json()) as Json };
  }

  /** What is wrong with `answer` to a caller holding `held` on pod `podId`, expected to be `status`. */
  async function problemsOf(endpoint: Endpoint, podId: string, held: Level | "NONE", status: number, answer: { status: number; body: Json }): Promise<string[]> {
    if (answer.status !== status) return [`answered ${answer.status} (${answer.body.message}), expected ${status}`];
    const { message, result } = answer.body;
    try {
      assert.equal(answer.body.status, status === 200 ? "success" : "error");
      if (status === 200) endpoint.shows?.(result, podId);
      if (status === 200 && endpoint.method === "DELETE" && endpoint.path === "") {
        assert.equal((await svc.api("GET", `/v3/pods/${podId}`, { token: alice })).status, 404, "the pod is still there");
      }
      if (status === 403) assert.equal(message, `${endpoint.required} permission on pod '${podId}' is required; you have ${held === "NONE" ? "no permission" : held}`);
      if (status === 404) assert.equal(message, `pod '${podId}' not found`);
      if (status === 501) assert.match(message, /is not implemented$/);
    } catch (error) {
      return [`${status}, but ${error instanceof Error ? error.message : String(error)}`];
    }
    return [];
  }

  for (const endpoint of podEndpoints) {
    const row = callers.map((caller, i) => `${caller} ${endpoint.status[i]}`).join(", ");
    it(`answers ${endpoint.method} /pods/{pod_id}${endpoint.path} (${endpoint.required}): ${row}`, async () => {
      const failures: string[] = [];
      for (const [i, caller] of callers.entries()) {
        const podId = await podSharedWith("bob", caller === "ADMIN" || caller === "USER" || caller === "READ" ? caller : "NONE");
        await svc.waitForStatus(alice, podId, "AVAILABLE");
        const { token, level } = await callerOn(caller);
        const answer = await call(endpoint, podId, token);
        failures.push(...(await problemsOf(endpoint, podId, level, endpoint.status[i]!, answer)).map((problem) => `${caller}: ${problem}`));
      }
      assert.deepEqual(failures, [], failures.join("\n"));
    });
  }

  it("refusesStartingOrStoppingThroughUpdateWithoutAdmin", async () => {
    const id = await podSharedWith("bob", "USER");
    const bob = await svc.token("bob");
    const answer = await svc.api("PUT", `/v3/pods/${id}`, { token: bob, body: { status_requested: "OFF" } });
    assert.equal(answer.status, 403);
    assert.match(answer.body.message, /ADMIN permission on pod/);
    assert.equal((await svc.api("GET", `/v3/pods/${id}`, { token: alice })).body.result.status_requested, "ON");
    assert.equal((await svc.api("PUT", `/v3/pods/${id}`, { token: bob, body: { description: "bob was here" } })).status, 200);
  });

  it("refusesATokenWithoutExpiry", async () => {
    const token = await signClaims(otherTenant.privateKey, accessClaims("other", "alice", otherIssuer, { exp: undefined }));
    assert.equal((await svc.api("GET", "/v3/pods", { token })).status, 401);
  });

  it("letsAServiceActForAUserOfItsOwnTenantOnly", async () => {
    const service = await signClaims(otherTenant.privateKey, accessClaims("other", "jobs", otherIssuer, { "tapis/account_type": "service" }));
    const asCarol = await svc.api("POST", "/v3/pods", { token: service, headers: { "X-Tapis-User": "carol" }, body: { pod_id: "servicemade", template: "neo4j" } });
    assert.equal(asCarol.status, 200);
    const carol = await tokenOf("other", "carol", otherTenant.privateKey);
    assert.deepEqual((await svc.api("GET", "/v3/pods/servicemade/permissions", { token: carol })).body.result.permissions, ["carol:ADMIN"]);

    const elsewhere = await svc.api("GET", "/v3/pods", { token: service, headers: { "X-Tapis-Tenant": "dev", "X-Tapis-User": "alice" } });
    assert.equal(elsewhere.status, 403);
    assert.match(elsewhere.body.message, /may not act in tenant 'dev'/);
  });

  it("keepsAtLeastOneAdmin", async () => {
    const id = await podSharedWith("bob", "READ");
    const answer = await svc.api("DELETE", `/v3/pods/${id}/permissions/alice`, { token: alice });
    assert.equal(answer.status, 400);
    assert.match(answer.body.message, /alice is the last ADMIN/);
    assert.equal((await svc.api("POST", `/v3/pods/${id}/permissions`, { token: alice, body: { user: "alice", level: "READ" } })).status, 400);
  });

  it("listsPermissionsAsUserColonLevel", async () => {
    const id = await podSharedWith("bob", "USER");
    const answer = await svc.api("GET", `/v3/pods/${id}/permissions`, { token: alice });
    assert.deepEqual(answer.body.result, { permissions: ["alice:ADMIN", "bob:USER", "zed:READ"] });
    assert.equal(answer.body.message, "Pod permissions retrieved successfully.");
  });

  it("refusesABadPermissionLevel", async () => {
    const id = await podSharedWith("bob", "NONE");
    const answer = await svc.api("POST", `/v3/pods/${id}/permissions`, { token: alice, body: { user: "bob", level: "OWNER" } });
    assert.equal(answer.status, 400);
    assert.match(answer.body.message, /level: must be one of READ, USER, ADMIN/);
  });
});
