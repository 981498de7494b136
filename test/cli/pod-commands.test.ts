import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { CliRunner } from "../support/cli-runner.js";
import { eventually } from "../support/eventually.js";
import { startTestService, type TestService } from "../support/test-service.js";

describe("pods CLI: create, ls, get, start, stop, restart, rm", () => {
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

  const pod = async (podId: string) => (await svc.api("GET", `/v3/pods/${podId}`, { token: alice })).body.result;
  const statusOf = (podId: string, status: string) =>
    eventually(`${podId} to be ${status}`, async () => {
      const shown = await cli.run(["get", podId, "-o", "json"]);
      assert.equal(shown.code, 0, shown.stderr);
      return JSON.parse(shown.stdout).status === status;
    }, 10_000);

  it("createsAPodFromATemplateWithFlags", async () => {
    const created = await cli.run(["create", "flagpod", "--template", "neo4j", "-d", "made by flags", "-e", "A=1", "--env", "B=two=2", "--time-to-stop", "-1"]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^pod_id:\s+flagpod$/m);
    assert.match(created.stdout, /^description:\s+made by flags$/m);
    const stored = await pod("flagpod");
    assert.equal(stored.template, "neo4j");
    assert.equal(stored.environment_variables.A, "1");
    assert.equal(stored.environment_variables.B, "two=2");
    assert.equal(stored.time_to_stop_default, -1);
    await statusOf("flagpod", "AVAILABLE");
  });

  it("createsAPodFromAYAMLFileWithFlagsOverIt", async () => {
    const file = join(cli.home, "pod.yaml");
    await writeFile(file, "pod_id: filepod\ntemplate: postgres\ndescription: from a file\nenvironment_variables:\n  FROM_FILE: yes\nnetworking:\n  default:\n    protocol: tcp\n    port: 5432\n");
    const created = await cli.run(["create", "-f", file, "--env", "FROM_FLAG=1", "--port", "6543", "--stopped", "-o", "json"]);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(JSON.parse(created.stdout).pod_id, "filepod");
    const stored = await pod("filepod");
    assert.equal(stored.description, "from a file");
    assert.deepEqual(stored.environment_variables, { ...stored.environment_variables, FROM_FILE: "yes", FROM_FLAG: "1" });
    assert.equal(stored.networking.default.port, 6543);
    assert.equal(stored.networking.default.protocol, "tcp");
    assert.equal(stored.status_requested, "OFF");
  });

  it("createsAPodFromJSONOnStandardInput", async () => {
    const created = await cli.run(["create", "-f", "-", "-o", "yaml"], { input: JSON.stringify({ pod_id: "stdinpod", template: "neo4j", description: "piped" }) });
    assert.equal(created.code, 0, created.stderr);
    assert.equal(parse(created.stdout).description, "piped");
    assert.equal((await pod("stdinpod")).description, "piped");
  });

  it("showsTheServicesMessageWhenACreateIsRefusedWithExitCode4", async () => {
    const invalid = await cli.run(["create", "Bad_Id", "--template", "neo4j"]);
    assert.equal(invalid.code, 4);
    assert.match(invalid.stderr, /^pods: pod_id: must be 3-64 lowercase letters and digits, starting with a letter \(got "Bad_Id"\) \(HTTP 400\)$/m);
    const taken = await cli.run(["create", "flagpod", "--template", "neo4j"]);
    assert.equal(taken.code, 4);
    assert.match(taken.stderr, /^pods: pod 'flagpod' already exists \(HTTP 409\)$/m);
  });

  it("refusesAFileOrFlagItCannotUseWithExitCode1BeforeSendingAnything", async () => {
    const missing = await cli.run(["create", "-f", join(cli.home, "nothing.yaml")]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nothing\.yaml: cannot be read \(ENOENT\)/);
    const file = join(cli.home, "broken.yaml");
    await writeFile(file, "pod_id: [unclosed\n");
    const broken = await cli.run(["create", "-f", file]);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /broken\.yaml: not valid JSON or YAML/);
    const env = await cli.run(["create", "envpod", "--template", "neo4j", "-e", "NOEQUALS"]);
    assert.equal(env.code, 1);
    assert.match(env.stderr, /--env 'NOEQUALS': must be NAME=VALUE/);
    const noId = await cli.run(["create", "--template", "neo4j"]);
    assert.equal(noId.code, 1);
    assert.match(noId.stderr, /pod_id: give it as an argument or in the file/);
    assert.equal((await svc.api("GET", "/v3/pods/envpod", { token: alice })).status, 404);
  });

  it("listsPodsAsATableJSONOrYAML", async () => {
    const table = await cli.run(["ls"]);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split("\n");
    assert.match(lines[0]!, /^POD_ID\s+STATUS\s+REQUESTED\s+IMAGE\s+URL\s+CREATED$/);
    assert.ok(lines.some((line) => /^flagpod\s+AVAILABLE\s+ON\s+neo4j:\S+\s+flagpod\.pods\.dev\.localhost\s+\d{4}-/.test(line)), table.stdout);
    const json = JSON.parse((await cli.run(["ls", "-o", "json"])).stdout) as { pod_id: string }[];
    assert.deepEqual(json.map((p) => p.pod_id).sort(), ["filepod", "flagpod", "stdinpod"]);
    const yaml = parse((await cli.run(["-o", "yaml", "ls"])).stdout) as { pod_id: string }[];
    assert.deepEqual(yaml.map((p) => p.pod_id).sort(), ["filepod", "flagpod", "stdinpod"]);
  });

  it("getsOnePodAndExits2ForAMissingOne", async () => {
    const shown = await cli.run(["get", "flagpod"]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^status:\s+AVAILABLE$/m);
    assert.match(shown.stdout, /^url default:\s+flagpod\.pods\.dev\.localhost \(http, port 7474\)$/m);
    const missing = await cli.run(["get", "nosuchpod"]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^pods: pod 'nosuchpod' not found \(HTTP 404\)$/m);
  });

  it("stopsStartsAndRestartsAPod", async () => {
    const stopped = await cli.run(["stop", "flagpod"]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /^Pod stop requested\.\npod flagpod: status \w+, requested OFF$/m);
    await statusOf("flagpod", "STOPPED");
    const started = await cli.run(["start", "flagpod", "-o", "json"]);
    assert.equal(started.code, 0, started.stderr);
    assert.equal(JSON.parse(started.stdout).status_requested, "ON");
    await statusOf("flagpod", "AVAILABLE");
    const before = (await pod("flagpod")).start_instance_ts;
    const restarted = await cli.run(["restart", "flagpod"]);
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.match(restarted.stdout, /^Pod restart requested\./);
    await eventually("a new instance", async () => {
      const now = await pod("flagpod");
      return now.status === "AVAILABLE" && now.start_instance_ts !== before;
    }, 10_000);
    const actions = (await svc.api("GET", "/v3/pods/flagpod/logs", { token: alice })).body.result.action_logs.join("\n");
    assert.match(actions, /Stop requested by alice[\s\S]*Start requested by alice[\s\S]*Restart requested by alice/);
  });

  it("refusesLifecycleRequestsOthersMayNotMakeWithExitCode3", async () => {
    const bob = await svc.token("bob");
    const shared = await svc.api("POST", "/v3/pods/flagpod/permissions", { token: alice, body: { user: "bob", level: "READ" } });
    assert.equal(shared.status, 200, shared.body.message);
    const stopped = await cli.run(["stop", "flagpod"], { env: { PODS_TOKEN: bob } });
    assert.equal(stopped.code, 3);
    assert.match(stopped.stderr, /\(HTTP 403\)/);
    assert.equal((await pod("flagpod")).status_requested, "ON");
  });

  it("deletesPodsAndReportsEachOneThatFailed", async () => {
    const deleted = await cli.run(["rm", "stdinpod", "nosuchpod", "filepod"]);
    assert.equal(deleted.code, 2);
    assert.match(deleted.stdout, /^stdinpod: Pod deleted successfully\.\nfilepod: Pod deleted successfully\.$/m);
    assert.match(deleted.stderr, /^pods: nosuchpod: pod 'nosuchpod' not found \(HTTP 404\)$/m);
    assert.match(deleted.stderr, /1 of 3 pods were not deleted/);
    assert.equal((await svc.api("GET", "/v3/pods/stdinpod", { token: alice })).status, 404);
    assert.equal((await svc.api("GET", "/v3/pods/filepod", { token: alice })).status, 404);
    const again = await cli.run(["rm", "stdinpod"]);
    assert.equal(again.code, 2);
  });

  it("answersHelpForEachOfTheseCommands", async () => {
    for (const command of ["create", "get", "rm", "start", "stop", "restart"]) {
      const help = await cli.run([command, "--help"]);
      assert.equal(help.code, 0, `${command}: ${help.stderr}`);
      assert.match(help.stdout, new RegExp(`^Usage: pods ${command}[ |]`));
    }
  });
});
