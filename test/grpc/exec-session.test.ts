import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { eventually } from "../support/eventually.js";
import { GrpcExecSession, loadExecSessionClient } from "../support/exec-session-grpc.js";
import { metricValue } from "../support/metric-values.js";
import { trustedTenant, type TrustedTenant } from "../support/tokens.js";
import { podId, startTestService, type TestService } from "../support/test-service.js";

/** The command a session runs when it asks for none: the image's shell. */
const imageShell = ["/bin/sh", "-c", "if [ -x /bin/bash ]; then exec /bin/bash; fi; exec /bin/sh"];

/** Sessions open anywhere in the process: through the control plane (both hops) and in the agent. */
async function openSessions(svc: TestService): Promise<number> {
  return (await metricValue(svc.baseUrl, "pods_exec_sessions")) + (await metricValue(svc.baseUrl, "pods_agent_exec_sessions"));
}

async function expectNoSessionLeft(svc: TestService): Promise<void> {
  await eventually("every session to be gone from the control plane and the agent", async () => (await openSessions(svc)) === 0, 10_000);
}

/**
 * Interactive exec sessions over gRPC (@grpc/grpc-js, from the proto files),
 * on the simulated cluster: no command runs there, and the stand-in that
 * answers says so and echoes each line typed.
 */
describe("interactive exec sessions over gRPC (simulated cluster)", function () {
  this.timeout(60_000);
  let svc: TestService;
  let client: grpc.Client;
  let jwt: string;
  let pod: string;
  let otherTenant: TrustedTenant;

  before(async () => {
    otherTenant = await trustedTenant();
    svc = await startTestService({
      PODS_TENANT_KEYS_FILE: otherTenant.keysFile,
      PODS_EXEC_SESSION_IDLE_TIMEOUT_SECONDS: "600",
      PODS_EXEC_SESSION_TOTAL_TIMEOUT_SECONDS: "3600",
    });
    client = loadExecSessionClient(svc.grpcUrl);
    jwt = await svc.token("alice");
    pod = podId("term");
    assert.equal((await svc.api("POST", "/v3/pods", { token: jwt, body: { pod_id: pod, template: "neo4j" } })).status, 200);
    await svc.waitForStatus(jwt, pod, "AVAILABLE");
  });
  after(async () => {
    client?.close();
    await svc?.stop();
  });
  afterEach(() => expectNoSessionLeft(svc));

  it("opensATerminalThatSaysItIsSimulatedEchoesLinesResizesAndEndsWithTheExitCode", async () => {
    const session = new GrpcExecSession(client, jwt, { pod_id: pod, tty: true, columns: 80, rows: 24 });
    const started = await session.started();
    assert.deepEqual(
      { command: started.command, tty: started.tty, simulated: started.simulated, idle: started.idle_timeout, total: started.total_timeout },
      { command: imageShell, tty: true, simulated: true, idle: 600, total: 3600 },
    );
    assert.match(started.session_id, /^[0-9a-f-]{36}$/);
    await session.waitForStdout(/no command runs.*\r\nsimulated\$ $/s);

    session.write({ stdin: Buffer.from("echo hi\r") });
    await session.waitForStdout(/simulated\$ echo hi\r\necho hi\r\nsimulated\$ $/);

    session.write({ resize: { columns: 100, rows: 40 } });
    await session.waitForStdout(/\[simulated\] the window is now 100x40\r\nsimulated\$ $/);

    session.write({ stdin: Buffer.from("half a line\x03") });
    await session.waitForStdout(/simulated\$ half a line\^C\r\nsimulated\$ $/);
    session.write({ signal: "EXEC_SIGNAL_INTERRUPT" });
    await session.waitForStdout(/\^C\r\nsimulated\$ \^C\r\nsimulated\$ $/);

    session.write({ stdin: Buffer.from("exit 3\r") });
    assert.deepEqual(await session.ended(), { reason: "EXEC_SESSION_END_EXITED", exit_code: 3, message: "the command exited with code 3" });
    assert.equal(session.answers[0]!.output, "started");
    assert.ok(session.stdout().endsWith("simulated$ exit 3\r\n"), JSON.stringify(session.stdout().slice(-40)));
  });

  it("pipesStdinToStdoutWithoutATerminalAndEndsWhenStdinCloses", async () => {
    const session = new GrpcExecSession(client, jwt, { pod_id: pod, command: ["cat"] });
    const started = await session.started();
    assert.deepEqual([started.command, started.tty, started.simulated], [["cat"], false, true]);
    await session.waitForStderr(/^\[simulated\] no command runs in the simulated cluster: \["cat"\] did not run; this stand-in echoes each line\.\n$/);
    session.write({ stdin: Buffer.from("hello\nwor") });
    session.write({ stdin: Buffer.from("ld\n") });
    await session.waitForStdout(/^hello\nworld\n$/);
    session.end();
    assert.deepEqual(await session.ended(), { reason: "EXEC_SESSION_END_EXITED", exit_code: 0, message: "the command exited with code 0" });
    assert.equal(session.stdout(), "hello\nworld\n");
  });

  it("endsAfterTheIdleTimeout", async () => {
    const session = new GrpcExecSession(client, jwt, { pod_id: pod, tty: true, idle_timeout: 1 });
    assert.equal((await session.started()).idle_timeout, 1);
    assert.deepEqual(await session.ended(), { reason: "EXEC_SESSION_END_IDLE_TIMEOUT", exit_code: 0, message: "nothing came either way for 1 s" });
  });

  it("endsAfterTheTotalTimeoutHoweverBusy", async () => {
    const session = new GrpcExecSession(client, jwt, { pod_id: pod, command: ["cat"], total_timeout: 2, idle_timeout: 60 });
    await session.started();
    const typing = setInterval(() => session.write({ stdin: Buffer.from("busy\n") }), 100);
    try {
      assert.deepEqual(await session.ended(), { reason: "EXEC_SESSION_END_TOTAL_TIMEOUT", exit_code: 0, message: "the session reached its total time limit of 2 s" });
    } finally {
      clearInterval(typing);
    }
  });

  it("endsWhenTheClientGoesAway", async () => {
    const session = new GrpcExecSession(client, jwt, { pod_id: pod, tty: true });
    await session.started();
    assert.ok((await openSessions(svc)) >= 3, "the session is open at both hops of the control plane and in the agent");
    session.cancel();
    await expectNoSessionLeft(svc);
    const logs = await svc.api("GET", `/v3/pods/${pod}/logs`, { token: jwt });
    assert.match(logs.body.result.action_logs.at(-1), /: Exec session [0-9a-f-]{36} by alice: .* ended: the client went away\.$/);
  });

  it("endsTheSessionOnATerminateSignal", async () => {
    const session = new GrpcExecSession(client, jwt, { pod_id: pod, tty: true });
    await session.started();
    session.write({ signal: "EXEC_SIGNAL_TERMINATE" });
    assert.deepEqual(await session.ended(), { reason: "EXEC_SESSION_END_CLOSED", exit_code: 0, message: "ended by the caller (TERMINATE)" });
  });

  it("recordsEverySessionInThePodsActionLogWithoutWhatWasTyped", async () => {
    const session = new GrpcExecSession(client, jwt, { pod_id: pod, command: ["psql", "--password", "hunter2"] });
    await session.started();
    session.write({ stdin: Buffer.from("select secret;\n") });
    await session.waitForStdout(/select secret;\n/);
    session.write({ stdin: Buffer.from("exit 4\n") });
    assert.equal((await session.ended()).exit_code, 4);
    const logs = await svc.api("GET", `/v3/pods/${pod}/logs`, { token: jwt });
    const line = logs.body.result.action_logs.at(-1) as string;
    assert.match(
      line,
      /^\S+: Exec session [0-9a-f-]{36} by alice: psql \(2 arguments\), no terminal, \d+\.\d s, 22 bytes in, \d+ bytes out, ended: the command exited with code 4\.$/,
    );
    assert.doesNotMatch(line, /select|secret|hunter2/);
  });

  it("recordsEverySessionInTheExecAuditForThePodsAdministrators", async () => {
    const before = Date.now();
    const session = new GrpcExecSession(client, jwt, { pod_id: pod, command: ["psql", "--password", "hunter2"] });
    const started = await session.started();
    session.write({ stdin: Buffer.from("select secret;\n") });
    await session.waitForStdout(/select secret;\n/);
    session.write({ stdin: Buffer.from("exit 4\n") });
    assert.equal((await session.ended()).exit_code, 4);
    const audit = await svc.api("GET", `/v3/pods/${pod}/exec-audit?kind=session`, { token: jwt });
    assert.equal(audit.status, 200, audit.body.message);
    const entry = audit.body.result[0];
    assert.deepEqual(
      { kind: entry.kind, username: entry.username, command: entry.command, exit_code: entry.exit_code, bytes_in: entry.bytes_in, error: entry.error },
      { kind: "session", username: "alice", command: ["psql", "--password", "hunter2"], exit_code: 4, bytes_in: 22, error: "" },
      `the session ${started.session_id} is audited`,
    );
    assert.ok(entry.bytes_out > 0 && entry.duration_seconds >= 0 && Date.parse(entry.started_at) >= before - 1000, JSON.stringify(entry));
    assert.doesNotMatch(JSON.stringify(audit.body), /select secret/, "what was typed or shown is never kept");
  });

  it("holdsItsWindowsWhileTheReaderStallsAndThenDeliversEveryByte", async () => {
    const session = new GrpcExecSession(client, jwt, { pod_id: pod, command: ["cat"] });
    await session.started();
    session.pause();
    const chunk = Buffer.from(`${"x".repeat(1023)}\n`.repeat(64));
    const offered = 64 * 1024 * 1024;
    let accepted = 0;
    const producing = (async () => {
      while (accepted < offered) {
        await session.send({ stdin: chunk });
        accepted += chunk.length;
      }
      session.end();
    })();
    // Nobody reads: the agent's window of output and the control plane's window of stdin fill up and hold.
    await eventually("the agent's window of output to fill", async () => (await metricValue(svc.baseUrl, "pods_agent_exec_output_unacknowledged_bytes")) >= 1024 * 1024);
    await eventually("the control plane's window of stdin to fill", async () => (await metricValue(svc.baseUrl, "pods_exec_stdin_unacknowledged_bytes")) >= 1024 * 1024);
    const held = accepted;
    await eventually("the writer to be held", async () => {
      const before = accepted;
      await new Promise((resolve) => setTimeout(resolve, 300));
      return accepted === before;
    });
    assert.ok(accepted <= 24 * 1024 * 1024, `the service took ${accepted} bytes (${held} when its windows were full) from a client whose reader stalled`);
    assert.ok((await metricValue(svc.baseUrl, "pods_agent_exec_output_unacknowledged_bytes")) <= 1024 * 1024 + chunk.length);

    session.resume();
    await producing;
    assert.deepEqual(await session.ended(60_000), { reason: "EXEC_SESSION_END_EXITED", exit_code: 0, message: "the command exited with code 0" });
    assert.equal(session.stdoutBytes(), offered);
  });

  it("refusesBadRequestsNamingTheFieldAndTheRule", async () => {
    const refused = async (first: object, details: string, later?: object) => {
      const session = new GrpcExecSession(client, jwt, first);
      if (later) {
        await session.started();
        session.write(later);
      }
      const error = await session.failure();
      assert.equal(error.code, grpc.status.INVALID_ARGUMENT, `${JSON.stringify([first, later])}: ${error.details}`);
      assert.equal(decodeURIComponent(error.details), details);
    };
    await refused({ pod_id: pod, idle_timeout: 601 }, "idle_timeout: must be at most 600 seconds (the service's limit)");
    await refused({ pod_id: pod, total_timeout: 3601 }, "total_timeout: must be at most 3600 seconds (the service's limit)");
    await refused({ pod_id: pod, tty: true, columns: 1001, rows: 0 }, "columns: must be at most 1000");
    await refused({ pod_id: pod, command: ["", "x"] }, "command[0]: must not be empty");
    await refused({ pod_id: pod, stdin: Buffer.from("ls\n") }, "stdin: the first message opens the session and carries no input");
    await refused({ pod_id: pod, tty: true }, "pod_id: only the first message names the pod and the command", { pod_id: pod, stdin: Buffer.from("x") });
    await refused({ pod_id: pod, tty: true }, "resize: columns and rows must each be between 1 and 1000", { resize: { columns: 0, rows: 10 } });
    await refused({ pod_id: pod, tty: true }, "signal: must name a signal: INTERRUPT, QUIT or TERMINATE", { signal: "EXEC_SIGNAL_UNSPECIFIED" });
    await refused({ pod_id: pod, tty: true }, "input: each message after the first carries one input", {});
  });

  it("refusesPodsThatAreMissingOrNotRunning", async () => {
    const missing = new GrpcExecSession(client, jwt, { pod_id: "nosuchpod", tty: true });
    const notFound = await missing.failure();
    assert.deepEqual([notFound.code, decodeURIComponent(notFound.details)], [grpc.status.NOT_FOUND, "pod 'nosuchpod' not found"]);

    const stopped = podId("stopped");
    await svc.api("POST", "/v3/pods", { token: jwt, body: { pod_id: stopped, template: "neo4j" } });
    await svc.waitForStatus(jwt, stopped, "AVAILABLE");
    await svc.api("GET", `/v3/pods/${stopped}/stop`, { token: jwt });
    await svc.waitForStatus(jwt, stopped, "STOPPED");
    const failed = await new GrpcExecSession(client, jwt, { pod_id: stopped, tty: true }).failure();
    assert.deepEqual(
      [failed.code, decodeURIComponent(failed.details)],
      [grpc.status.FAILED_PRECONDITION, `pod '${stopped}' is STOPPED; a session opens only in an AVAILABLE pod`],
    );
  });

  it("letsOnlyThoseWhoMayRunCommandsInThePodOpenASession", async () => {
    await svc.api("POST", `/v3/pods/${pod}/permissions`, { token: jwt, body: { user: "bob", level: "USER" } });
    const bob = new GrpcExecSession(client, await svc.token("bob"), { pod_id: pod, tty: true });
    assert.equal((await bob.started()).tty, true, "USER may open a session");
    bob.end();
    await bob.finished();

    await svc.api("POST", `/v3/pods/${pod}/permissions`, { token: jwt, body: { user: "carol", level: "READ" } });
    const carol = await new GrpcExecSession(client, await svc.token("carol"), { pod_id: pod, tty: true }).failure();
    assert.deepEqual([carol.code, decodeURIComponent(carol.details)], [grpc.status.PERMISSION_DENIED, `USER permission on pod '${pod}' is required; you have READ`]);

    const foreign = await new GrpcExecSession(client, await otherTenant.token("alice"), { pod_id: pod, tty: true }).failure();
    assert.deepEqual([foreign.code, decodeURIComponent(foreign.details)], [grpc.status.NOT_FOUND, `pod '${pod}' not found`]);

    const anonymous = await new GrpcExecSession(client, undefined, { pod_id: pod, tty: true }).failure();
    assert.deepEqual([anonymous.code, decodeURIComponent(anonymous.details)], [grpc.status.UNAUTHENTICATED, "X-Tapis-Token header is required"]);
  });
});
