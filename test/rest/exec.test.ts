import assert from "node:assert/strict";
import { startTestService, type TestService } from "../support/test-service.js";

describe("exec in a pod (simulated cluster)", () => {
  let svc: TestService;
  let jwt: string;

  before(async () => {
    svc = await startTestService();
    jwt = await svc.token("alice");
    await svc.api("POST", "/v3/pods", { token: jwt, body: { pod_id: "shell", template: "postgres" } });
    await svc.waitForStatus(jwt, "shell", "AVAILABLE");
  });
  after(() => svc.stop());

  const exec = (body: unknown, podId = "shell") => svc.api("POST", `/v3/pods/${podId}/exec`, { token: jwt, body });

  it("runsSeveralCommandsInOrderAndReportsEach", async () => {
    const answer = await exec({ commands: [["ls", "-la", "/tmp"], ["echo", "hello"]], command_timeout: 30, total_timeout: 60 });
    assert.equal(answer.status, 200, answer.body.message);
    const { results, success } = answer.body.result;
    assert.equal(success, true);
    assert.deepEqual(results.map((r: { command: string[] }) => r.command), [["ls", "-la", "/tmp"], ["echo", "hello"]]);
    assert.ok(results.every((r: { exit_code: number; success: boolean; output: string }) => r.exit_code === 0 && r.success && /simulated/.test(r.output)));
    assert.equal(typeof results[0].duration_seconds, "number");
  });

  it("takesAListOfStringsAsOneCommandAndAStringAsAShellCommand", async () => {
    const single = await exec({ commands: ["sleep", "5"] });
    assert.deepEqual(single.body.result.results.map((r: { command: string[] }) => r.command), [["sleep", "5"]]);
    const shell = await exec({ commands: [["echo", "a"], "ls | wc -l"] });
    assert.deepEqual(shell.body.result.results[1].command, ["/bin/sh", "-c", "ls | wc -l"]);
  });

  it("refusesMalformedRequestsNamingTheField", async () => {
    const missing = await exec({});
    assert.equal(missing.status, 400);
    assert.match(missing.body.message, /commands: at least one command is required/);
    const bad = await exec({ commands: [["ls"], 42] });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /commands\[1\]: must be a string or a non-empty list of strings/);
    const timeout = await exec({ commands: ["ls"], command_timeout: 0 });
    assert.match(timeout.body.message, /command_timeout: must be between 1 and/);
  });

  it("refusesToRunInAPodThatIsNotAvailable", async () => {
    await svc.api("GET", "/v3/pods/shell/stop", { token: jwt });
    await svc.waitForStatus(jwt, "shell", "STOPPED");
    const answer = await exec({ commands: ["ls"] });
    assert.equal(answer.status, 400);
    assert.match(answer.body.message, /pod 'shell' is STOPPED; commands run only in an AVAILABLE pod/);
  });
});
