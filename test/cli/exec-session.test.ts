import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { CliRunner, cliMain } from "../support/cli-runner.js";
import { eventually } from "../support/eventually.js";
import { metricValue } from "../support/metric-values.js";
import { startTestService, type TestService } from "../support/test-service.js";
import { TmuxPane } from "../support/tmux-pane.js";

const notice = (argv: string[]) => `[simulated] no command runs in the simulated cluster: ${JSON.stringify(argv)} did not run; this stand-in echoes each line`;
const quote = (word: string) => `'${word.replace(/'/g, "'\\''")}'`;

/**
 * `pods exec -it`: a terminal in a pod from the local one (driven in tmux),
 * and `pods exec -i`: a pipe for scripts; both through the gateway's
 * WebSocket endpoint to the simulated cluster's stand-in.
 */
describe("pods CLI: interactive exec sessions", function () {
  this.timeout(60_000);
  let svc: TestService;
  let cli: CliRunner;
  const panes: TmuxPane[] = [];

  /** A shell in a tmux window, logged in as alice. */
  const terminal = async () => {
    const pane = await TmuxPane.shell(cli.environment);
    panes.push(pane);
    return pane;
  };
  const pods = (...args: string[]) => [process.execPath, cliMain, ...args].map(quote).join(" ");
  const openSessions = async () =>
    (await metricValue(svc.baseUrl, "pods_gateway_exec_sessions")) + (await metricValue(svc.baseUrl, "pods_exec_sessions")) + (await metricValue(svc.baseUrl, "pods_agent_exec_sessions"));

  before(async () => {
    svc = await startTestService({});
    const alice = await svc.token("alice");
    cli = await CliRunner.create(svc.baseUrl);
    await cli.login(svc.dataDir, "alice");
    for (const podId of ["shell", "idle"]) {
      const created = await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: podId, template: "postgres", status_requested: podId === "idle" ? "OFF" : "ON" } });
      assert.equal(created.status, 200, created.body.message);
    }
    await svc.waitForStatus(alice, "shell", "AVAILABLE");
  });
  after(async () => {
    await cli?.dispose();
    await svc?.stop();
  });
  afterEach(async () => {
    for (const pane of panes.splice(0)) await pane.dispose();
    await eventually("every session to be gone", async () => (await openSessions()) === 0, 10_000);
  });

  it("runsAnInteractiveShellInTheLocalTerminalWithResizeAndCtrlCAndRestoresTheTerminal", async () => {
    const pane = await terminal();
    await pane.type(`${pods("exec", "-it", "shell", "--", "sh")}; echo "status=$?"`);
    await pane.press("Enter");
    await pane.waitFor("the stand-in's notice and prompt", new RegExp(`${escape(notice(["sh"]))} you type, and 'exit \\[code\\]' ends it\\.\\nsimulated\\$$`));

    await pane.type("echo hi");
    await pane.press("Enter");
    await pane.waitFor("the line typed, echoed by the terminal and then by the stand-in", /\nsimulated\$ echo hi\necho hi\nsimulated\$$/);

    await pane.resize(120, 40);
    await pane.waitFor("the new size, forwarded", /\[simulated\] the window is now 120x40\nsimulated\$$/);

    await pane.type("sleep 100");
    await pane.press("C-c");
    await pane.waitFor("Ctrl-C to reach the pod's terminal and drop the line", /\nsimulated\$ sleep 100\^C\nsimulated\$$/);
    assert.doesNotMatch(await pane.screen(), /\nstatus=/, "Ctrl-C goes to the pod; pods itself runs on");

    await pane.type("exit 3");
    await pane.press("Enter");
    await pane.waitFor("pods to exit with the command's exit code", /\nstatus=3\nterm\$$/);

    await pane.type("stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo");
    await pane.press("Enter");
    await pane.waitFor("the local terminal back in its own mode (canonical, echoing)", /\nicanon\necho\nterm\$$/);
  });

  it("restoresTheTerminalWhenTheSessionEndsWithoutAnExitStatus", async () => {
    const pane = await terminal();
    await pane.type(`${pods("exec", "-it", "--idle-timeout", "1", "shell")}; echo "status=$?"`);
    await pane.press("Enter");
    await pane.waitFor("the idle time limit to end the session", /\npods: nothing came either way for 1 s\nstatus=5\nterm\$$/);
    await pane.type("stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo");
    await pane.press("Enter");
    await pane.waitFor("the local terminal back in its own mode", /\nicanon\necho\nterm\$$/);
  });

  it("pipesStdinAndStdoutWithoutATerminalAndExitsWithTheCommandsCode", async () => {
    const exited = await cli.run(["exec", "-i", "shell", "--", "cat"], { input: "one\ntwo\nexit 4\n" });
    assert.deepEqual([exited.code, exited.stdout, exited.stderr], [4, "one\ntwo\n", `${notice(["cat"])}.\n`]);
    const ended = await cli.run(["exec", "-i", "shell", "--", "cat"], { input: "no newline at the end" });
    assert.deepEqual([ended.code, ended.stdout], [0, "no newline at the end"]);
  });

  it("runsWithoutATerminalWhenStdinIsNotOneAndSaysSo", async () => {
    const ran = await cli.run(["exec", "-it", "shell"], { input: "piped\n" });
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, "piped\n");
    assert.match(ran.stderr, /^pods: -t: standard input is not a terminal; the session runs without one\n/);
  });

  it("endsAPipedSessionOnCtrlCWithCode130", async () => {
    const running = cli.start(["exec", "-i", "shell", "--", "cat"], { keepStdinOpen: true });
    running.child.stdin!.write("before the interrupt\n");
    await running.waitForStdout("the line echoed", /^before the interrupt\n$/);
    running.child.kill("SIGINT");
    const exited = await running.exited;
    assert.equal(exited.code, 130);
    assert.match(exited.stderr, /\npods: ended by the caller \(INTERRUPT\)\n$/);
  });

  /** `pods exec -i shell -- cat` whose output nobody reads, fed 64 MiB one piece at a time once the last is in its input pipe. */
  const stalledCat = async () => {
    const child = spawn(process.execPath, [cliMain, "exec", "-i", "shell", "--", "cat"], { env: cli.environment, stdio: ["pipe", "pipe", "ignore"] });
    child.stdin.on("error", () => undefined);
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    child.stdout.pause();
    const chunk = Buffer.from(`${"z".repeat(1023)}\n`.repeat(64));
    const offered = 64 * 1024 * 1024;
    const fed = { bytes: 0 };
    void (async () => {
      while (fed.bytes < offered && child.exitCode === null && child.signalCode === null) {
        await new Promise((resolve) => child.stdin.write(chunk, resolve));
        fed.bytes += chunk.length;
      }
      child.stdin.end();
    })();
    await eventually("the agent's window of output to fill", async () => (await metricValue(svc.baseUrl, "pods_agent_exec_output_unacknowledged_bytes")) >= 1024 * 1024);
    let taken = fed.bytes;
    await eventually("pods to stop reading its input", async () => {
      const before = taken;
      await new Promise((resolve) => setTimeout(resolve, 300));
      taken = fed.bytes;
      return taken === before;
    });
    return { child, exited, offered, taken };
  };

  it("holdsItsWindowsWhileWhatReadsItsOutputStalls", async () => {
    const { child, exited, offered, taken } = await stalledCat();
    try {
      // What pods has read waits in the windows and in the sockets' buffers between the processes.
      assert.ok(taken <= 40 * 1024 * 1024, `pods took ${taken} of ${offered} bytes of input while nothing read its output`);
      let received = 0;
      child.stdout.on("data", (data: Buffer) => (received += data.length));
      child.stdout.resume();
      assert.equal(await exited, 0);
      assert.equal(received, offered);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("leavesNoSessionWhenPodsIsKilledWhileItsWindowsAreFull", async () => {
    const { child, exited } = await stalledCat();
    child.kill("SIGKILL");
    await exited;
    await eventually("the session to be gone at the gateway, in the control plane and in the agent", async () => (await openSessions()) === 0, 10_000);
  });

  it("showsWhyTheServiceRefusedTheSessionWithTheUsualExitCodes", async () => {
    const stopped = await cli.run(["exec", "-i", "idle", "--", "cat"]);
    assert.deepEqual([stopped.code, stopped.stderr], [4, "pods: pod 'idle' is STOPPED; a session opens only in an AVAILABLE pod (HTTP 400)\n"]);
    const missing = await cli.run(["exec", "-i", "nowhere"]);
    assert.deepEqual([missing.code, missing.stderr], [2, "pods: pod 'nowhere' not found (HTTP 404)\n"]);
    const unauthenticated = await cli.run(["exec", "-i", "shell", "--", "cat"], { env: { PODS_TOKEN: "not-a-token" } });
    assert.equal(unauthenticated.code, 3, unauthenticated.stderr);
  });

  it("refusesBadUsageBeforeSendingAnything", async () => {
    const noCommand = await cli.run(["exec", "shell"]);
    assert.deepEqual([noCommand.code, noCommand.stderr], [1, "pods: a command is needed after --, unless -i or -t opens a session\n"]);
    const badIdle = await cli.run(["exec", "-i", "--idle-timeout", "soon", "shell"]);
    assert.deepEqual([badIdle.code, badIdle.stderr], [1, "pods: --idle-timeout 'soon': must be a whole number of seconds, at least 1\n"]);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
