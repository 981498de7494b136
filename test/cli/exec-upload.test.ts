import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CliRunner } from "../support/cli-runner.js";
import { startTestService, type TestService } from "../support/test-service.js";

describe("pods CLI: exec and upload to a pod", () => {
  let svc: TestService;
  let cli: CliRunner;
  let alice: string;
  let file: string;
  const fileBytes = 3 * 1024 * 1024 + 5;

  before(async () => {
    svc = await startTestService({ PODS_MAX_UPLOAD_BYTES: String(8 * 1024 * 1024) });
    alice = await svc.token("alice");
    cli = await CliRunner.create(svc.baseUrl);
    await cli.login(svc.dataDir, "alice");
    for (const podId of ["shell", "idle"]) {
      const created = await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: podId, template: "postgres", status_requested: podId === "idle" ? "OFF" : "ON" } });
      assert.equal(created.status, 200, created.body.message);
    }
    await svc.waitForStatus(alice, "shell", "AVAILABLE");
    file = join(cli.home, "data.bin");
    await writeFile(file, Buffer.alloc(fileBytes, 7));
  });
  after(async () => {
    await cli?.dispose();
    await svc?.stop();
  });

  it("runsOneCommandAndPrintsItsOutput", async () => {
    const ran = await cli.run(["exec", "shell", "--", "ls", "-la", "/tmp"]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, '[simulated] ["ls","-la","/tmp"] was not run: no container runs in the simulated cluster\n');
    const json = JSON.parse((await cli.run(["exec", "shell", "-o", "json", "--timeout", "5", "--", "sh", "-c", "ls | wc -l"])).stdout);
    assert.equal(json.success, true);
    assert.deepEqual(json.results[0].command, ["sh", "-c", "ls | wc -l"]);
    assert.equal(json.results[0].exit_code, 0);
  });

  it("showsWhyTheServiceWouldNotRunTheCommandWithExitCode4", async () => {
    const ran = await cli.run(["exec", "idle", "--", "ls"]);
    assert.equal(ran.code, 4);
    assert.match(ran.stderr, /^pods: pod 'idle' is STOPPED; commands run only in an AVAILABLE pod \(HTTP 400\)$/m);
    const badTimeout = await cli.run(["exec", "shell", "--timeout", "soon", "--", "ls"]);
    assert.equal(badTimeout.code, 1);
    assert.match(badTimeout.stderr, /--timeout 'soon': must be a whole number of seconds/);
  });

  it("uploadsAFileShowingProgressAsPlainLinesWhenNotOnATerminal", async () => {
    const sent = await cli.run(["upload", "shell", file, "/tmp/data.bin"]);
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(sent.stdout, `Wrote ${fileBytes} bytes to /tmp/data.bin.\n`);
    const lines = sent.stderr.trimEnd().split("\n");
    assert.equal(lines[0], "upload data.bin: 0 B of 3.0 MiB (0%)");
    const steps = lines.slice(1, -2);
    assert.ok(steps.length >= 5, `a line per tenth: ${sent.stderr}`);
    const percents = steps.map((line) => Number(/^upload data\.bin: [\d.]+ [KM]iB of 3\.0 MiB \((\d+)%\)$/.exec(line)?.[1]));
    assert.ok(percents.every((p, i) => p > 0 && p < 100 && (i === 0 || p > percents[i - 1]!)), `rising percentages: ${sent.stderr}`);
    assert.equal(lines.at(-2), "upload data.bin: all 3.0 MiB sent; waiting for the service");
    assert.match(lines.at(-1)!, /^upload data\.bin: 3\.0 MiB of 3\.0 MiB \(100%\), done in [\d.]+ s$/);
    assert.doesNotMatch(sent.stderr, /\u001b\[/, "no terminal control sequences");
  });

  it("drawsAProgressBarOnATerminal", async () => {
    const sent = await cli.runOnTerminal(["upload", "shell", file, "/tmp/bar.bin"]);
    assert.equal(sent.code, 0, sent.stdout);
    assert.match(sent.stdout, /upload data\.bin \[░{30}\] 0% \| 0 B of 3\.0 MiB/);
    assert.match(sent.stdout, /upload data\.bin \[█{30}\] 100% \| 3\.0 MiB of 3\.0 MiB/);
    assert.doesNotMatch(sent.stdout, /\(\d+%\)/, "no plain progress lines on a terminal");
    assert.match(sent.stdout, /Wrote 3145733 bytes to \/tmp\/bar\.bin\./);
  });

  it("uploadsQuietlyWithQuiet", async () => {
    const sent = await cli.run(["upload", "-q", "shell", file, "/tmp/quiet.bin"]);
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(sent.stderr, "");
    assert.equal(sent.stdout, `Wrote ${fileBytes} bytes to /tmp/quiet.bin.\n`);
  });

  it("showsTheServicesMessageForARefusedUploadAndExitCode4", async () => {
    const relative = await cli.run(["upload", "shell", file, "tmp/data.bin"]);
    assert.equal(relative.code, 4);
    assert.match(relative.stderr, /^pods: dest_path: must be an absolute path.* \(HTTP 400\)$/m);
    const stopped = await cli.run(["upload", "-q", "idle", file, "/tmp/data.bin"]);
    assert.equal(stopped.code, 4);
    assert.match(stopped.stderr, /files can be uploaded only to an AVAILABLE pod \(HTTP 400\)/);
  });

  it("reportsAFileOverTheServicesLimitWithExitCode4", async () => {
    const big = join(cli.home, "big.bin");
    await writeFile(big, Buffer.alloc(8 * 1024 * 1024 + 1));
    const sent = await cli.run(["upload", "-q", "shell", big, "/tmp/big.bin"]);
    assert.equal(sent.code, 4);
    assert.match(sent.stderr, /^pods: file: larger than 8388608 bytes \(HTTP 413\)$/m);
  });

  it("refusesALocalFileItCannotReadWithExitCode1", async () => {
    const missing = await cli.run(["upload", "shell", join(cli.home, "nothing.bin"), "/tmp/x"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nothing\.bin: cannot be read \(ENOENT\)/);
    const folder = await cli.run(["upload", "shell", cli.home, "/tmp/x"]);
    assert.equal(folder.code, 1);
    assert.match(folder.stderr, /is not a file/);
  });

  it("answersHelpForExecAndUpload", async () => {
    for (const command of ["exec", "upload"]) {
      const help = await cli.run([command, "--help"]);
      assert.equal(help.code, 0, `${command}: ${help.stderr}`);
      assert.match(help.stdout, new RegExp(`^Usage: pods ${command} \\[options\\] <pod_id>`));
    }
  });
});
