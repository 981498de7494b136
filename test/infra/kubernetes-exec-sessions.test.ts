import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomInt } from "node:crypto";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import type * as grpc from "@grpc/grpc-js";
import { CliRunner, cliMain } from "../support/cli-runner.js";
import { eventually } from "../support/eventually.js";
import { GrpcExecSession, loadExecSessionClient } from "../support/exec-session-grpc.js";
import { bearerProtocol, jsonFrames, sessionUrl, WsJsonSession } from "../support/exec-session-websocket.js";
import { metricValue } from "../support/metric-values.js";
import { createScratchNamespace, type ScratchNamespace } from "../support/scratch-namespace.js";
import { podId, startTestService, type TestService } from "../support/test-service.js";
import { TmuxPane } from "../support/tmux-pane.js";

/** The pids of processes on this machine whose command line matches `pattern` (kwok runs a pod's commands here). */
async function pidsOf(pattern: string): Promise<number[]> {
  try {
    const { stdout } = await promisify(execFile)("pgrep", ["-f", pattern]);
    return stdout.split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Bytes process `pid` has written so far (/proc/<pid>/io). */
async function bytesWrittenBy(pid: number): Promise<number> {
  const io = await readFile(`/proc/${pid}/io`, "utf8");
  return Number(/^wchar: (\d+)$/m.exec(io)?.[1]);
}

/**
 * Types `stty size` until the shell reports `size` ("rows columns"). A
 * resize and the keys typed after it travel on separate streams of the
 * Kubernetes exec protocol (kubectl's too), so the shell may read the keys
 * before the terminal has its new size: what must hold is that the resize
 * takes effect, not when.
 */
async function untilTheTerminalIs(size: string, type: (text: string) => void, stdout: () => string): Promise<void> {
  await eventually(`the terminal to be ${size} (so far ${JSON.stringify(stdout().slice(-300))})`, async () => {
    const from = stdout().length;
    type("stty size\r");
    const deadline = Date.now() + 2_000;
    while (Date.now() < deadline) {
      if (stdout().slice(from).includes(`\r\n${size}\r\n`)) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return false;
  }, 20_000);
}

/**
 * Interactive exec sessions on pods of a real API server: the agent attaches
 * through the API server's exec (kwok runs the command on this machine in a
 * real pseudo-terminal), and the session is driven over gRPC (@grpc/grpc-js).
 */
describe("interactive exec sessions on a real Kubernetes API server", function () {
  this.timeout(120_000);
  const kubeconfig = process.env.PODS_TEST_KUBECONFIG;
  let scratch: ScratchNamespace | undefined;
  let svc: TestService;
  let client: grpc.Client;
  let jwt: string;
  const pod = podId("shell");

  /** Sessions open at the gateway's WebSocket edge, at both hops of the control plane, and in the agent. */
  const openSessions = async () =>
    (await metricValue(svc.baseUrl, "pods_gateway_exec_sessions")) + (await metricValue(svc.baseUrl, "pods_exec_sessions")) + (await metricValue(svc.baseUrl, "pods_agent_exec_sessions"));

  before(async () => {
    assert.ok(kubeconfig, "PODS_TEST_KUBECONFIG must name the test cluster's kubeconfig (npm run test:infra sets it)");
    scratch = await createScratchNamespace(kubeconfig, "pods-sessions");
    svc = await startTestService({ PODS_KUBECONFIG: kubeconfig, PODS_K8S_NAMESPACE: scratch.name, PODS_K8S_STOP_GRACE_SECONDS: "0" });
    client = loadExecSessionClient(svc.grpcUrl);
    jwt = await svc.token("alice");
    assert.equal((await svc.api("POST", "/v3/pods", { token: jwt, body: { pod_id: pod, template: "neo4j" } })).status, 200);
    await svc.waitForStatus(jwt, pod, "AVAILABLE", 60_000);
  });
  after(async () => {
    client?.close();
    await svc?.stop();
    await scratch?.remove();
  });
  /** Sessions of the current test, cancelled after it in case it failed midway. */
  const sessions: GrpcExecSession[] = [];
  const open = (first: object) => {
    const session = new GrpcExecSession(client, jwt, first);
    sessions.push(session);
    return session;
  };
  afterEach(async () => {
    for (const session of sessions.splice(0)) session.cancel();
    await eventually("no session left in the control plane or the agent", async () => (await openSessions()) === 0, 15_000);
  });

  it("runsAShellInATerminalEchoesResizesInterruptsAndEndsWithItsExitStatus", async () => {
    // kwok starts a terminal's command without making the terminal its controlling one, as a
    // container runtime does; setsid -c does that here, so Ctrl-C signals the foreground command.
    const session = open({ pod_id: pod, command: ["setsid", "-c", "sh"], tty: true, columns: 80, rows: 24 });
    const started = await session.started();
    assert.deepEqual([started.command, started.tty, started.simulated], [["setsid", "-c", "sh"], true, false]);

    session.write({ stdin: Buffer.from("echo hi\r") });
    await session.waitForStdout(/echo hi\r\nhi\r\n/);
    session.write({ stdin: Buffer.from("stty size\r") });
    await session.waitForStdout(/stty size\r\n24 80\r\n/);
    session.write({ resize: { columns: 100, rows: 40 } });
    await untilTheTerminalIs("40 100", (text) => session.write({ stdin: Buffer.from(text) }), () => session.stdout());

    // Ctrl-C reaches the foreground command as SIGINT through the terminal.
    const marker = 900 + randomInt(90);
    session.write({ stdin: Buffer.from(`sleep ${marker}\r`) });
    await eventually(`sleep ${marker} to run`, async () => (await pidsOf(`^sleep ${marker}$`)).length === 1);
    session.write({ stdin: Buffer.from("\x03") });
    await eventually(`sleep ${marker} to be interrupted`, async () => (await pidsOf(`^sleep ${marker}$`)).length === 0);
    session.write({ stdin: Buffer.from("echo status=$?\r") });
    await session.waitForStdout(/status=130\r\n/);

    session.write({ stdin: Buffer.from("exit 3\r") });
    assert.deepEqual(await session.ended(), { reason: "EXEC_SESSION_END_EXITED", exit_code: 3, message: "the command exited with code 3" });
  });

  it("carriesTheSameSessionThroughTheWebSocketEndpoint", async () => {
    const session = new WsJsonSession(sessionUrl(svc.baseUrl, pod, "command=sh&tty=true&columns=80&rows=24"), [jsonFrames, bearerProtocol(jwt)]);
    try {
      await eventually("the started frame", async () => session.frames[0]?.started);
      assert.equal(session.frames[0]!.started.simulated, false);
      session.stdin("echo hi\r");
      await session.waitForStdout(/echo hi\r\nhi\r\n/);
      session.send({ resize: { columns: 100, rows: 40 } });
      await untilTheTerminalIs("40 100", (text) => session.stdin(text), () => session.stdout());
      session.stdin("exit 3\r");
      assert.deepEqual(await session.ended(), { reason: "EXITED", exit_code: 3, message: "the command exited with code 3" });
    } finally {
      session.terminate();
    }
  });

  it("runsAShellInTheLocalTerminalWithPodsExecItInTmux", async () => {
    const cli = await CliRunner.create(svc.baseUrl);
    const pane = await TmuxPane.shell({ ...cli.environment, PODS_TOKEN: jwt });
    try {
      const line = [process.execPath, cliMain, "exec", "-it", pod, "--", "setsid", "-c", "sh"].map((word) => `'${word}'`).join(" ");
      await pane.type(`${line}; echo "local status=$?"`);
      await pane.press("Enter");
      // Keys typed before the session opens would be echoed by the local terminal too.
      await pane.waitFor("the pod's shell's prompt", /local status=\$\?"\n[#$]$/);
      await pane.type("stty size");
      await pane.press("Enter");
      await pane.waitFor("the local terminal's size, sent at the start", /stty size\n30 100\n/);
      await pane.resize(120, 40);
      // As in untilTheTerminalIs: the keys may reach the shell before the new size does.
      await eventually("the new size, sent on SIGWINCH", async () => {
        await pane.type("stty size");
        await pane.press("Enter");
        return pane.waitFor("the new size", /stty size\n40 120\n/, 2_000).then(
          () => true,
          () => false,
        );
      }, 20_000);

      const marker = 900 + randomInt(90);
      await pane.type(`sleep ${marker}`);
      await pane.press("Enter");
      await eventually(`sleep ${marker} to run`, async () => (await pidsOf(`^sleep ${marker}$`)).length === 1);
      await pane.press("C-c");
      await eventually(`sleep ${marker} to be interrupted`, async () => (await pidsOf(`^sleep ${marker}$`)).length === 0);
      await pane.type("echo remote status=$?");
      await pane.press("Enter");
      await pane.waitFor("Ctrl-C to have interrupted the command in the pod, not pods", /\nremote status=130\n/);

      await pane.type("exit 3");
      await pane.press("Enter");
      await pane.waitFor("pods to exit with the shell's exit code", /\nlocal status=3\nterm\$$/);
      await pane.type("stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo");
      await pane.press("Enter");
      await pane.waitFor("the local terminal back in its own mode", /\nicanon\necho\nterm\$$/);
    } finally {
      await pane.dispose();
      await cli.dispose();
    }
  });

  it("pipesStdinStdoutAndStderrWithoutATerminal", async () => {
    const session = open({ pod_id: pod, command: ["sh", "-c", "cat; echo done >&2; exit 5"] });
    assert.equal((await session.started()).tty, false);
    session.write({ stdin: Buffer.from("a\nb\n") });
    session.write({ stdin_closed: true });
    assert.deepEqual(await session.ended(), { reason: "EXEC_SESSION_END_EXITED", exit_code: 5, message: "the command exited with code 5" });
    assert.equal(session.stdout(), "a\nb\n");
    assert.equal(session.stderr(), "done\n");
  });

  it("endsCleanlyWhenTheClientGoesAway", async () => {
    const session = open({ pod_id: pod, command: ["sh"], tty: true });
    await session.started();
    session.write({ stdin: Buffer.from("echo ready\r") });
    await session.waitForStdout(/ready\r\n/);
    assert.equal(await openSessions(), 3, "open at both hops of the control plane and in the agent");
    session.cancel();
    await eventually("the session to be gone everywhere", async () => (await openSessions()) === 0, 15_000);
    const logs = await svc.api("GET", `/v3/pods/${pod}/logs`, { token: jwt });
    assert.match(logs.body.result.action_logs.at(-1), /: Exec session [0-9a-f-]{36} by alice: sh \(no arguments\), terminal, .* ended: the client went away\.$/);
  });

  it("endsAfterTheIdleTimeout", async () => {
    const session = open({ pod_id: pod, command: ["sh"], tty: true, idle_timeout: 1 });
    await session.started();
    assert.deepEqual(await session.ended(), { reason: "EXEC_SESSION_END_IDLE_TIMEOUT", exit_code: 0, message: "nothing came either way for 1 s" });
  });

  it("endsAfterTheTotalTimeoutWhileOutputKeepsComing", async () => {
    const session = open({ pod_id: pod, command: ["sh", "-c", "while true; do echo tick; sleep 0.2; done"], total_timeout: 2, idle_timeout: 60 });
    await session.started();
    assert.deepEqual(await session.ended(), { reason: "EXEC_SESSION_END_TOTAL_TIMEOUT", exit_code: 0, message: "the session reached its total time limit of 2 s" });
    assert.match(session.stdout(), /^(tick\n)+$/);
  });

  it("holdsTheCommandBackWhileTheReaderStallsAndThenDeliversEveryByte", async () => {
    const size = 64 * 1024 * 1024 + randomInt(1_000_000);
    const session = open({ pod_id: pod, command: ["head", "-c", String(size), "/dev/zero"] });
    await session.started();
    session.pause();
    await eventually("the agent's window of output to fill", async () => (await metricValue(svc.baseUrl, "pods_agent_exec_output_unacknowledged_bytes")) >= 1024 * 1024);
    const [pid] = await pidsOf(`^head -c ${size} /dev/zero$`);
    assert.ok(pid, "head runs on this machine (kwok)");
    let written = await bytesWrittenBy(pid);
    await eventually("head to be held back", async () => {
      const before = written;
      await new Promise((resolve) => setTimeout(resolve, 300));
      written = await bytesWrittenBy(pid);
      return written === before;
    });
    assert.ok(written < 24 * 1024 * 1024, `head wrote ${written} of ${size} bytes while nobody read`);
    assert.ok((await metricValue(svc.baseUrl, "pods_agent_exec_output_unacknowledged_bytes")) <= 1024 * 1024 + 64 * 1024);

    session.resume();
    assert.deepEqual(await session.ended(60_000), { reason: "EXEC_SESSION_END_EXITED", exit_code: 0, message: "the command exited with code 0" });
    assert.equal(session.stdoutBytes(), size);
  });
});
