import assert from "node:assert/strict";
import { podId, startTestService, type TestService } from "../support/test-service.js";
import { rawRequest } from "../support/volume-files.js";

/**
 * Files in a pod's container, listed and downloaded through the agent's
 * exec (test/support/kubernetes-agent-scenarios.ts reads real files on the
 * Kubernetes test cluster). In the simulated cluster no container runs:
 * a listing is empty and says so, a download finds nothing and says so.
 * Paths are checked before anything reaches the agent.
 */
describe("files in a pod (simulated cluster)", () => {
  let svc: TestService;
  let alice: string;
  let id: string;

  before(async () => {
    svc = await startTestService({}, { logLevel: "debug" });
    alice = await svc.token("alice");
    id = podId("files");
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: id, template: "postgres" } })).status, 200);
    await svc.waitForStatus(alice, id, "AVAILABLE");
  });
  after(() => svc.stop());

  // Sent as written: a URL parser would resolve ".." before the service sees it.
  const list = async (rest: string) => {
    const answer = await rawRequest(svc.baseUrl, "GET", `/v3/pods/${id}/list_files${rest}`, { token: alice });
    return { status: answer.status, body: answer.json! };
  };
  const download = (rest: string) => rawRequest(svc.baseUrl, "GET", `/v3/pods/${id}/download_from_pod${rest}`, { token: alice });

  it("listsNothingInASimulatedPodAndSaysWhy", async () => {
    const byUrl = await list("/var/lib/postgresql");
    assert.equal(byUrl.status, 200, byUrl.body.message);
    assert.deepEqual(byUrl.body.result, { path: "var/lib/postgresql", files: [], count: 0 });
    assert.equal(byUrl.body.message, `[simulated] pod '${id}' runs in the simulated cluster, where no container runs: there are no files in 'var/lib/postgresql'.`);
    const byQuery = await list("?path=/etc");
    assert.equal(byQuery.status, 200, byQuery.body.message);
    assert.deepEqual(byQuery.body.result, { path: "/etc", files: [], count: 0 });
    const workingDirectory = await list("");
    assert.equal(workingDirectory.status, 200, workingDirectory.body.message);
    assert.equal(workingDirectory.body.result.path, ".");
  });

  it("answersADownloadFromASimulatedPodWith404SayingWhy", async () => {
    const answer = await download("?path=/etc/hostname");
    assert.equal(answer.status, 404);
    assert.equal(answer.json?.message, `[simulated] pod '${id}' runs in the simulated cluster, where no container runs: it holds no file '/etc/hostname'.`);
  });

  it("refusesHostilePathsWith400NamingTheFieldBeforeAskingTheAgent", async () => {
    const cases: [string, string][] = [
      ["/../etc/passwd", "path: must not contain '.' or '..' names"],
      ["/%2e%2e/etc/passwd", "path: must not contain '.' or '..' names"],
      ["/tmp/../../etc", "path: must not contain '.' or '..' names"],
      ["?path=/etc/../root", "path: must not contain '.' or '..' names"],
      ["?path=/tmp/./x", "path: must not contain '.' or '..' names"],
      ["/%2Fetc/passwd", "path: must be relative to the container's working directory here; give an absolute path as ?path="],
      ["?path=/etc%00/passwd", "path: must not contain control characters"],
      ["/etc%0Apasswd", "path: must not contain control characters"],
      ["?path=a//b", "path: must not contain empty names ('//')"],
      [`?path=/${"x".repeat(256)}`, "path: each name must be at most 255 bytes"],
      [`?path=/${"a/".repeat(2100)}`, "path: must be at most 4096 bytes"],
      ["/tmp?path=/etc", "path: give the path in the URL or as ?path=, not both"],
    ];
    const agentRequests = () => svc.logLines().filter((line) => line.msg === "storage request").length;
    const before = agentRequests();
    const failures: string[] = [];
    for (const [rest, message] of cases) {
      for (const [name, send] of [["list_files", list], ["download_from_pod", download]] as const) {
        const answer = await send(rest);
        const got = "json" in answer ? answer.json?.message : answer.body?.message;
        if (answer.status !== 400 || got !== message) failures.push(`${name}${rest.slice(0, 60)}: ${answer.status} ${got}`);
      }
    }
    assert.deepEqual(failures, []);
    assert.equal(agentRequests(), before, "no refused path reached the agent");
  });

  it("refusesAPodThatIsNotAvailableAndAnswers404ForAnUnknownPod", async () => {
    const stopped = podId("idle");
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: stopped, template: "postgres", status_requested: "OFF" } })).status, 200);
    const answer = await svc.api("GET", `/v3/pods/${stopped}/list_files/tmp`, { token: alice });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.message, `pod '${stopped}' is STOPPED; files are reached only in an AVAILABLE pod`);
    const fetched = await rawRequest(svc.baseUrl, "GET", `/v3/pods/${stopped}/download_from_pod/tmp/x`, { token: alice });
    assert.equal(fetched.status, 400);
    assert.equal((await svc.api("GET", "/v3/pods/nosuchpod/list_files/tmp", { token: alice })).status, 404);
    assert.equal((await rawRequest(svc.baseUrl, "GET", "/v3/pods/nosuchpod/download_from_pod/tmp/x", { token: alice })).status, 404);
  });

  it("letsOnlyThePodsAdministratorsDownload", async () => {
    const bob = await svc.token("bob");
    const fetchAs = (token: string) => rawRequest(svc.baseUrl, "GET", `/v3/pods/${id}/download_from_pod/tmp/x`, { token });
    const none = await fetchAs(bob);
    assert.equal(none.status, 403);
    assert.equal(none.json?.message, `ADMIN permission on pod '${id}' is required; you have no permission`);
    for (const level of ["READ", "USER"]) {
      assert.equal((await svc.api("POST", `/v3/pods/${id}/permissions`, { token: alice, body: { user: "bob", level } })).status, 200);
      const refused = await fetchAs(bob);
      assert.equal(refused.status, 403);
      assert.equal(refused.json?.message, `ADMIN permission on pod '${id}' is required; you have ${level}`);
    }
    assert.equal((await svc.api("POST", `/v3/pods/${id}/permissions`, { token: alice, body: { user: "bob", level: "ADMIN" } })).status, 200);
    const allowed = await fetchAs(bob);
    assert.equal(allowed.status, 404);
    assert.match(allowed.json!.message, /^\[simulated\] /);
    const admin = await fetchAs(await svc.token("admin"));
    assert.equal(admin.status, 404);
    assert.match(admin.json!.message, /^\[simulated\] /);
  });
});
