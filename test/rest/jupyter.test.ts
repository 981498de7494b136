import assert from "node:assert/strict";
import { trustedTenant, type TrustedTenant } from "../support/tokens.js";
import { startTestService, type TestService } from "../support/test-service.js";

type Json = Record<string, any>;

describe("Jupyter: /v3/pods/jupyter/ensure and /upload", () => {
  let svc: TestService;
  let alice: string;
  let bob: string;

  const ensure = async (token: string) => {
    const answer = await svc.api("GET", "/v3/pods/jupyter/ensure", { token });
    assert.equal(answer.status, 200, answer.body.message);
    return answer.body.result as Json;
  };

  async function upload(podId: string, token: string, fields: Record<string, string>, content = "print('hello')\n") {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.set(name, value);
    form.set("file", new Blob([content]), "hello.py");
    const response = await fetch(`${svc.baseUrl}/v3/pods/jupyter/${podId}/upload`, { method: "POST", body: form, headers: { "X-Tapis-Token": token } });
    return { status: response.status, body: (await response.json()) as Json };
  }

  before(async () => {
    svc = await startTestService();
    alice = await svc.token("alice");
    bob = await svc.token("bob");
  });
  after(() => svc.stop());

  it("createsTheCallersPodFromTheSitesJupyterTemplateBehindTheirOwnLogin", async () => {
    const jupyter = await ensure(alice);
    assert.deepEqual(jupyter, { pod_id: "jupyteralice", url: "https://jupyteralice.pods.dev.localhost", status: "REQUESTED" });
    const pod = (await svc.api("GET", "/v3/pods/jupyteralice", { token: alice })).body.result;
    assert.equal(pod.template, "jupyter");
    assert.equal(pod.networking.default.protocol, "http");
    assert.equal(pod.networking.default.tapis_auth, true);
    assert.deepEqual(pod.networking.default.tapis_auth_allowed_users, ["alice"]);
    const permissions = await svc.api("GET", "/v3/pods/jupyteralice/permissions", { token: alice });
    assert.deepEqual(permissions.body.result.permissions, ["alice:ADMIN"]);
  });

  it("answersWithTheSamePodWhenAskedAgainAndStartsItWhenStopped", async () => {
    await svc.waitForStatus(alice, "jupyteralice", "AVAILABLE");
    assert.deepEqual(await ensure(alice), { pod_id: "jupyteralice", url: "https://jupyteralice.pods.dev.localhost", status: "AVAILABLE" });
    assert.equal((await svc.api("GET", "/v3/pods/jupyteralice/stop", { token: alice })).status, 200);
    await svc.waitForStatus(alice, "jupyteralice", "STOPPED");
    const started = await ensure(alice);
    assert.equal(started.pod_id, "jupyteralice");
    assert.equal((await svc.api("GET", "/v3/pods/jupyteralice", { token: alice })).body.result.status_requested, "ON");
    await svc.waitForStatus(alice, "jupyteralice", "AVAILABLE");
    const pods = (await svc.api("GET", "/v3/pods", { token: alice })).body.result as Json[];
    assert.deepEqual(pods.map((p) => p.pod_id).filter((id) => id.startsWith("jupyter")), ["jupyteralice"]);
  });

  it("givesEveryUserTheirOwnEvenWhenTheUsernameIsNoPodId", async () => {
    assert.equal((await ensure(bob)).pod_id, "jupyterbob");
    const odd = await ensure(await svc.token("Dr.Who"));
    assert.match(odd.pod_id, /^jupyterdrwho[0-9a-f]{10}$/);
    const other = await ensure(await svc.token("drwho"));
    assert.equal(other.pod_id, "jupyterdrwho");
  });

  it("refusesWhenAnotherUserHoldsThePodId", async () => {
    const carol = await svc.token("carol");
    assert.equal((await svc.api("POST", "/v3/pods", { token: bob, body: { pod_id: "jupytercarol", image: "nginx:1" } })).status, 200);
    const answer = await svc.api("GET", "/v3/pods/jupyter/ensure", { token: carol });
    assert.equal(answer.status, 409);
    assert.match(answer.body.message, /pod 'jupytercarol' belongs to someone else/);
  });

  it("uploadsAFileIntoTheJupyterWorkspace", async () => {
    await svc.waitForStatus(alice, "jupyteralice", "AVAILABLE");
    const answer = await upload("jupyteralice", alice, { path: "notebooks/hello.py" });
    assert.equal(answer.status, 200, answer.body.message);
    assert.equal(answer.body.result, "Wrote 15 bytes to /home/jovyan/notebooks/hello.py.");
  });

  it("refusesAPathOutsideTheWorkspaceAPodThatIsNoJupyterPodAndOtherUsers", async () => {
    for (const path of ["../etc/passwd", "/etc/passwd", "a/../../b", ""]) {
      const answer = await upload("jupyteralice", alice, { path });
      assert.equal(answer.status, 400, path);
      assert.match(answer.body.message, /path: must be a relative path inside the Jupyter workspace/);
    }
    await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: "plainpod", image: "nginx:1" } });
    const plain = await upload("plainpod", alice, { path: "x.txt" });
    assert.equal(plain.status, 400);
    assert.match(plain.body.message, /pod_id: pod 'plainpod' is not a Jupyter pod \(template 'jupyter'\)/);
    assert.equal((await upload("jupyteralice", bob, { path: "x.txt" })).status, 403);
  });
});

describe("Jupyter uploads: who may", () => {
  let svc: TestService;
  let other: TrustedTenant;

  before(async () => {
    other = await trustedTenant();
    svc = await startTestService({ PODS_TENANT_KEYS_FILE: other.keysFile });
  });
  after(() => svc.stop());

  it("needsUserOnThePodAsTheAccessTableSays", async () => {
    const alice = await svc.token("alice");
    assert.equal((await svc.api("GET", "/v3/pods/jupyter/ensure", { token: alice })).status, 200);
    await svc.waitForStatus(alice, "jupyteralice", "AVAILABLE");
    const callers: [string, string, number][] = [
      ["owner", alice, 200],
      ["ADMIN", await svc.token("ann"), 200],
      ["USER", await svc.token("ulla"), 200],
      ["READ", await svc.token("rita"), 403],
      ["none", await svc.token("nora"), 403],
      ["other tenant", await other.token("alice"), 404],
      ["service admin", await svc.token("admin"), 200],
    ];
    for (const [user, level] of [["ann", "ADMIN"], ["ulla", "USER"], ["rita", "READ"]]) {
      assert.equal((await svc.api("POST", "/v3/pods/jupyteralice/permissions", { token: alice, body: { user, level } })).status, 200);
    }
    const statuses = [];
    for (const [, token] of callers) {
      const form = new FormData();
      form.set("path", "who.txt");
      form.set("file", new Blob(["x"]), "who.txt");
      statuses.push((await fetch(`${svc.baseUrl}/v3/pods/jupyter/jupyteralice/upload`, { method: "POST", body: form, headers: { "X-Tapis-Token": token } })).status);
    }
    assert.deepEqual(statuses, callers.map(([, , status]) => status), callers.map(([who]) => who).join(", "));
  });
});

describe("Jupyter with a template the site configures", () => {
  let svc: TestService;

  before(async () => {
    svc = await startTestService({ PODS_JUPYTER_TEMPLATE: "neo4j", PODS_JUPYTER_WORKSPACE: "/data" });
  });
  after(() => svc.stop());

  it("makesThePodFromThatTemplateAndProtectsEachOfItsHttpEntries", async () => {
    const alice = await svc.token("alice");
    const answer = await svc.api("GET", "/v3/pods/jupyter/ensure", { token: alice });
    assert.equal(answer.status, 200, answer.body.message);
    const pod = (await svc.api("GET", "/v3/pods/jupyteralice", { token: alice })).body.result;
    assert.equal(pod.template, "neo4j");
    assert.equal(pod.networking.default.tapis_auth, true);
    assert.equal(pod.networking.bolt.tapis_auth, false);
  });
});
