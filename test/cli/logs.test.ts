import assert from "node:assert/strict";
import { CliRunner } from "../support/cli-runner.js";
import { startTestService, type TestService } from "../support/test-service.js";

describe("pods CLI: logs and logs -f", () => {
  let svc: TestService;
  let cli: CliRunner;
  let alice: string;

  before(async () => {
    svc = await startTestService();
    alice = await svc.token("alice");
    cli = await CliRunner.create(svc.baseUrl);
    await cli.login(svc.dataDir, "alice");
  });
  after(async () => {
    await cli?.dispose();
    await svc?.stop();
  });

  async function runningPod(podId: string): Promise<void> {
    const created = await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: podId, template: "neo4j" } });
    assert.equal(created.status, 200, created.body.message);
    await svc.waitForStatus(alice, podId, "AVAILABLE");
  }
  const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern, "g"))?.length ?? 0;

  it("printsAPodsContainerOutputAndItsActionLog", async () => {
    await runningPod("plainlogs");
    const logs = await cli.run(["logs", "plainlogs"]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /^\[simulated\] \S+ pod plainlogs is simulated: no container runs\.\n\[simulated\] image neo4j:\S+(, command .*)?\n/);
    const actions = await cli.run(["logs", "plainlogs", "--actions"]);
    assert.match(actions.stdout, /: Pod created by alice\.\n[\s\S]*Status changed to AVAILABLE\.\n$/);
    const json = JSON.parse((await cli.run(["logs", "plainlogs", "-o", "json"])).stdout);
    assert.equal(json.logs, logs.stdout);
    assert.ok(Array.isArray(json.action_logs));
  });

  it("followsTheLogsPrintingOnlyTheLineThatAppears", async () => {
    await runningPod("followed");
    const follow = cli.start(["logs", "-f", "followed", "--interval", "0.1"]);
    try {
      await follow.waitForStdout("the current logs", /ports: default=http:7474, bolt=tcp:7687\n/);
      assert.equal((await svc.api("GET", "/v3/pods/followed/stop", { token: alice })).status, 200);
      const seen = await follow.waitForStdout("the stop line", /container stopped\n/);
      assert.equal(count(seen, /pod followed is simulated/), 1, `the old lines are not printed again: ${seen}`);
      assert.match(seen, /ports: default=http:7474, bolt=tcp:7687\n\[simulated\] \S+ container stopped\n$/);
    } finally {
      await follow.stop();
    }
  });

  it("followsALogThatStartsAfreshWithANewInstance", async () => {
    await runningPod("restarted");
    const follow = cli.start(["logs", "--follow", "restarted", "--interval", "0.1"]);
    try {
      await follow.waitForStdout("the first instance's logs", /ports: default=http:7474, bolt=tcp:7687\n/);
      assert.equal((await svc.api("GET", "/v3/pods/restarted/restart", { token: alice })).status, 200);
      const seen = await follow.waitForStdout("the new instance's logs", /(pod restarted is simulated[\s\S]*){2}ports: default/);
      assert.match(follow.stderr(), /^pods: the logs of restarted started afresh \(a new instance\)$/m);
      const starts = [...seen.matchAll(/\[simulated\] (\S+) pod restarted is simulated/g)].map((m) => m[1]);
      assert.equal(starts.length, 2);
      assert.notEqual(starts[0], starts[1]);
    } finally {
      await follow.stop();
    }
  });

  it("followsTheActionLog", async () => {
    await runningPod("actionfollow");
    const follow = cli.start(["logs", "-f", "--actions", "actionfollow", "--interval", "0.1"]);
    try {
      await follow.waitForStdout("the action log", /Status changed to AVAILABLE\.\n/);
      await svc.api("GET", "/v3/pods/actionfollow/stop", { token: alice });
      const seen = await follow.waitForStdout("the stop", /Status changed to STOPPED\.\n/);
      assert.equal(count(seen, /Pod created by alice/), 1);
    } finally {
      await follow.stop();
    }
  });

  it("endsAFollowWithExitCode2WhenThePodIsDeleted", async () => {
    await runningPod("vanishing");
    const follow = cli.start(["logs", "-f", "vanishing", "--interval", "0.1"]);
    await follow.waitForStdout("the logs", /ports: default/);
    assert.equal((await svc.api("DELETE", "/v3/pods/vanishing", { token: alice })).status, 200);
    const ended = await follow.exited;
    assert.equal(ended.code, 2);
    assert.match(ended.stderr, /^pods: pod 'vanishing' not found \(HTTP 404\)$/m);
  });

  it("refusesABadIntervalAndAnswersHelp", async () => {
    const bad = await cli.run(["logs", "-f", "plainlogs", "--interval", "0"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--interval '0': must be between 0\.1 and 3600 seconds/);
    const help = await cli.run(["logs", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: pods logs \[options\] <pod_id>/);
    assert.match(help.stdout, /-f, --follow/);
  });
});
