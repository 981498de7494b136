import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { appendFile, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CliRunner } from "../support/cli-runner.js";
import { createScratchNamespace, type ScratchNamespace } from "../support/scratch-namespace.js";
import { startTestService, type TestService } from "../support/test-service.js";

/**
 * The `pods` CLI against pods that run on a real API server (kwok runs their
 * commands on this machine and serves one file as their output), where exec
 * output, failures and uploads are real.
 */
describe("pods CLI against a real Kubernetes API server", function () {
  this.timeout(120_000);
  const kubeconfig = process.env.PODS_TEST_KUBECONFIG;
  let scratch: ScratchNamespace | undefined;
  let svc: TestService;
  let cli: CliRunner;

  before(async () => {
    assert.ok(kubeconfig, "PODS_TEST_KUBECONFIG must name the test cluster's kubeconfig (npm run test:infra sets it)");
    scratch = await createScratchNamespace(kubeconfig, "pods-cli");
    svc = await startTestService({ PODS_KUBECONFIG: kubeconfig, PODS_K8S_NAMESPACE: scratch.name, PODS_K8S_STOP_GRACE_SECONDS: "0" });
    cli = await CliRunner.create(svc.baseUrl);
    await cli.login(svc.dataDir, "alice");
    const created = await cli.run(["create", "graph", "--template", "neo4j"]);
    assert.equal(created.code, 0, created.stderr);
    await svc.waitForStatus(await svc.token("alice"), "graph", "AVAILABLE", 60_000);
  });
  after(async () => {
    await cli?.dispose();
    await svc?.stop();
    await scratch?.remove();
  });

  it("followsContainerOutputAsTheContainerWritesIt", async () => {
    const logFile = process.env.PODS_TEST_KWOK_LOG_FILE;
    assert.ok(logFile, "PODS_TEST_KWOK_LOG_FILE must name the file kwok serves as every container's output");
    const follow = cli.start(["logs", "-f", "graph", "--interval", "0.2"]);
    try {
      const marker = `written while followed ${randomBytes(4).toString("hex")}`;
      await appendFile(logFile, `${new Date().toISOString()} stdout F ${marker}\n`);
      const seen = await follow.waitForStdout("the new line", new RegExp(`${marker}\n`), 30_000);
      assert.equal(seen.split(marker).length, 2, "printed once");
    } finally {
      await follow.stop();
    }
  });

  it("printsACommandsOutputAndExits6WhenTheCommandFails", async () => {
    const ok = await cli.run(["exec", "graph", "--", "echo", "hello"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, "hello\n");
    const failing = await cli.run(["exec", "graph", "--", "sh", "-c", "echo oops; exit 3"]);
    assert.equal(failing.code, 6);
    assert.equal(failing.stdout, "oops\n");
    assert.match(failing.stderr, /^pods: the command exited with code 3$/m);
  });

  it("uploadsAFileIntoTheContainer", async () => {
    // kwok runs a pod's commands on this machine, so the file lands in this machine's /tmp.
    const destPath = join(tmpdir(), `pods-cli-upload-${randomBytes(4).toString("hex")}`);
    const content = randomBytes(2 * 1024 * 1024 + 3);
    const local = join(cli.home, "payload.bin");
    await writeFile(local, content);
    const sent = await cli.run(["upload", "graph", local, destPath]);
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(sent.stdout, `Wrote ${content.length} bytes to ${destPath}.\n`);
    assert.match(sent.stderr, /^upload payload\.bin: 2\.0 MiB of 2\.0 MiB \(100%\), done in/m);
    assert.ok((await readFile(destPath)).equals(content));
    await rm(destPath, { force: true });
  });
});
