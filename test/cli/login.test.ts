import assert from "node:assert/strict";
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { CliRunner, devPassword } from "../support/cli-runner.js";
import { freePort } from "../support/processes.js";
import { startTestService, type TestService } from "../support/test-service.js";

describe("pods CLI: login and where the token comes from", () => {
  let svc: TestService;
  let cli: CliRunner;

  before(async () => {
    svc = await startTestService();
    const alice = await svc.token("alice");
    const created = await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: "alicepod", template: "neo4j" } });
    assert.equal(created.status, 200, created.body.message);
  });
  after(() => svc?.stop());
  beforeEach(async () => {
    cli = await CliRunner.create(svc.baseUrl);
  });
  afterEach(() => cli.dispose());

  const mode = async (path: string) => (await stat(path)).mode & 0o777;

  it("savesTheTokenInAFileOnlyTheUserMayReadAndUsesItForLaterCommands", async () => {
    const login = await cli.run(["login", "alice", "--password-stdin"], { input: `${await devPassword(svc.dataDir, "alice")}\n` });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, new RegExp(`Logged in to ${svc.baseUrl} as alice\\.`));
    assert.equal(await mode(cli.loginsFile), 0o600);
    assert.equal(await mode(dirname(cli.loginsFile)), 0o700);
    const saved = JSON.parse(await readFile(cli.loginsFile, "utf8"));
    assert.equal(saved.current, svc.baseUrl);
    assert.equal(saved.logins[svc.baseUrl].username, "alice");
    assert.ok(!JSON.stringify(saved).includes(await devPassword(svc.dataDir, "alice")), "the password is not saved");

    const listed = await cli.run(["ls", "-o", "json"]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout).map((pod: { pod_id: string }) => pod.pod_id), ["alicepod"]);
  });

  it("readsThePasswordFromStandardInputWhenThereIsNoTerminal", async () => {
    const login = await cli.run(["login", "alice", "-o", "json"], { input: await devPassword(svc.dataDir, "alice") });
    assert.equal(login.code, 0, login.stderr);
    const answer = JSON.parse(login.stdout);
    assert.equal(answer.username, "alice");
    assert.equal(answer.base_url, svc.baseUrl);
    assert.ok(Date.parse(answer.expires_at) > Date.now());
  });

  it("remembersTheServiceOfTheLastLoginWhenNoURLIsGiven", async () => {
    const login = await cli.run(["login", "alice", "--base-url", `${svc.baseUrl}/`], { input: await devPassword(svc.dataDir, "alice"), env: { PODS_URL: undefined } });
    assert.equal(login.code, 0, login.stderr);
    const listed = await cli.run(["ls"], { env: { PODS_URL: undefined } });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^POD_ID\s+STATUS\s+REQUESTED\s+IMAGE\s+URL\s+CREATED\nalicepod\s/);
  });

  it("makesAnExistingConfigFolderPrivate", async () => {
    await mkdir(dirname(cli.loginsFile), { recursive: true });
    await chmod(dirname(cli.loginsFile), 0o755);
    await cli.login(svc.dataDir, "alice");
    assert.equal(await mode(dirname(cli.loginsFile)), 0o700);
  });

  it("refusesAWrongPasswordWithTheServicesMessageAndExitCode3", async () => {
    const login = await cli.run(["login", "alice"], { input: "not-the-password\n" });
    assert.equal(login.code, 3);
    assert.match(login.stderr, /^pods: invalid username or password \(HTTP 401\)$/m);
    await assert.rejects(stat(cli.loginsFile), /ENOENT/);
  });

  it("asksForTheUsernameAsAnArgumentWhenThereIsNoTerminal", async () => {
    const login = await cli.run(["login"], { input: "secret\n" });
    assert.equal(login.code, 1);
    assert.match(login.stderr, /username: give it as an argument/);
  });

  it("withoutALoginSaysHowToLogInAndExits3", async () => {
    const listed = await cli.run(["ls"]);
    assert.equal(listed.code, 3);
    assert.match(listed.stderr, new RegExp(`not logged in to ${svc.baseUrl}: log in with \`pods login --base-url ${svc.baseUrl}\`, or give a token with --token or PODS_TOKEN`));
  });

  it("takesATokenFromPODS_TOKENOrTokenBeforeTheSavedLogin", async () => {
    await cli.login(svc.dataDir, "alice");
    const bob = await svc.token("bob");
    const fromEnv = await cli.run(["ls", "-o", "json"], { env: { PODS_TOKEN: bob } });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.deepEqual(JSON.parse(fromEnv.stdout), []);
    const fromFlag = await cli.run(["ls", "-o", "json", "--token", bob]);
    assert.deepEqual(JSON.parse(fromFlag.stdout), []);
  });

  it("reportsAnExpiredSavedLoginWithExitCode3", async () => {
    await cli.login(svc.dataDir, "alice");
    const saved = JSON.parse(await readFile(cli.loginsFile, "utf8"));
    saved.logins[svc.baseUrl].expires_at = "2020-01-01T00:00:00.000Z";
    await writeFile(cli.loginsFile, JSON.stringify(saved));
    const listed = await cli.run(["ls"]);
    assert.equal(listed.code, 3);
    assert.match(listed.stderr, /the saved login of alice to .* expired at 2020-01-01T00:00:00.000Z: log in with `pods login/);
  });

  it("showsTheServicesMessageForARefusedTokenWithExitCode3", async () => {
    const listed = await cli.run(["ls"], { env: { PODS_TOKEN: "not.a.token" } });
    assert.equal(listed.code, 3);
    assert.match(listed.stderr, /^pods: .+ \(HTTP 401\)\nthe token given was refused; log in with `pods login/m);
  });

  it("refusesABaseURLThatIsNoURLWithExitCode1", async () => {
    const listed = await cli.run(["ls", "--base-url", "localhost:8080"]);
    assert.equal(listed.code, 1);
    assert.match(listed.stderr, /base URL: 'localhost:8080' must start with http:\/\/ or https:\/\//);
  });

  it("reportsAServiceThatCannotBeReachedWithExitCode5", async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const listed = await cli.run(["ls", "--base-url", nobody, "--token", "x"]);
    assert.equal(listed.code, 5);
    assert.match(listed.stderr, new RegExp(`^pods: cannot reach ${nobody}: .*ECONNREFUSED`, "m"));
  });

  it("answersHelpForTheProgramLoginAndLsListingTheExitCodes", async () => {
    const help = await cli.run(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: pods \[options\] \[command\]/);
    for (const code of ["0  done", "1  wrong usage", "2  not found", "3  not logged in", "4  refused", "5  the service failed"]) assert.ok(help.stdout.includes(code), code);
    for (const command of ["login", "ls"]) {
      const answer = await cli.run([command, "--help"]);
      assert.equal(answer.code, 0, `${command}: ${answer.stderr}`);
      assert.match(answer.stdout, new RegExp(`^Usage: pods ${command}`));
    }
  });

  it("refusesAnUnknownCommandOrOptionWithExitCode1", async () => {
    const unknown = await cli.run(["launch"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown command 'launch'/);
    const badFormat = await cli.run(["ls", "-o", "xml"]);
    assert.equal(badFormat.code, 1);
    assert.match(badFormat.stderr, /Allowed choices are table, json, yaml/);
  });
});
