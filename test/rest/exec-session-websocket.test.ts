import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ExecSessionRequestSchema, ExecSessionResponseSchema, type ExecSessionResponse } from "../../gen/tapis/pods/v1/exec_session_service_pb.js";
import { WebSocketClient } from "../../shared/websocket/ws-library.js";
import { eventually } from "../support/eventually.js";
import { bearerProtocol, jsonFrames, protoFrames, sessionUrl, upgradeAnswer, upgradeThenHangUp, WsJsonSession } from "../support/exec-session-websocket.js";
import { metricValue } from "../support/metric-values.js";
import { trustedTenant, type TrustedTenant } from "../support/tokens.js";
import { podId, startTestService, type TestService } from "../support/test-service.js";

/** Sessions open at the gateway's WebSocket edge, at both hops of the control plane, and in the agent. */
const openSessions = async (svc: TestService) =>
  (await metricValue(svc.baseUrl, "pods_gateway_exec_sessions")) + (await metricValue(svc.baseUrl, "pods_exec_sessions")) + (await metricValue(svc.baseUrl, "pods_agent_exec_sessions"));

/**
 * Interactive exec sessions through the REST gateway's WebSocket endpoint,
 * GET /v3/pods/{pod_id}/exec/session, driven by stock WebSocket clients, on
 * the simulated cluster.
 */
describe("interactive exec sessions over a WebSocket at the gateway", function () {
  this.timeout(60_000);
  let svc: TestService;
  let otherTenant: TrustedTenant;
  let alice: string;
  let pod: string;
  const sockets: WsJsonSession[] = [];
  const connect = (url: string, protocols: string[], headers?: Record<string, string>) => {
    const session = new WsJsonSession(url, protocols, headers);
    sockets.push(session);
    return session;
  };

  before(async () => {
    otherTenant = await trustedTenant();
    svc = await startTestService({ PODS_TENANT_KEYS_FILE: otherTenant.keysFile, PODS_EXEC_SESSION_IDLE_TIMEOUT_SECONDS: "600" }, { logLevel: "info" });
    alice = await svc.token("alice");
    pod = podId("web");
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: pod, template: "neo4j" } })).status, 200);
    await svc.waitForStatus(alice, pod, "AVAILABLE");
  });
  after(() => svc?.stop());
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.terminate();
    await eventually("every session to be gone", async () => (await openSessions(svc)) === 0, 10_000);
  });

  it("carriesATerminalSessionInJsonFramesWithTheTokenPassedAsKubernetesClientsPassIt", async () => {
    const session = connect(sessionUrl(svc.baseUrl, pod, "tty=true&columns=80&rows=24"), [jsonFrames, bearerProtocol(alice)]);
    await session.opened();
    assert.equal(session.protocol, jsonFrames);
    await eventually("the started frame", async () => session.frames[0]);
    const started = session.frames[0]!.started;
    assert.equal(started.tty, true);
    assert.equal(started.simulated, true);
    assert.equal(started.idle_timeout, 600);
    await session.waitForStdout(/simulated\$ $/);

    session.stdin("echo hi\r");
    await session.waitForStdout(/simulated\$ echo hi\r\necho hi\r\nsimulated\$ $/);
    session.send({ resize: { columns: 100, rows: 40 } });
    await session.waitForStdout(/the window is now 100x40\r\nsimulated\$ $/);
    session.send({ signal: "INTERRUPT" });
    await session.waitForStdout(/\^C\r\nsimulated\$ $/);
    session.stdin("exit 3\r");
    assert.deepEqual(await session.ended(), { reason: "EXITED", exit_code: 3, message: "the command exited with code 3" });
    assert.deepEqual(session.closed, { code: 1000, reason: "" });

    const line = svc.logLines().find((entry) => entry.msg === "request" && entry.route === "/v3/pods/{pod_id}/exec/session" && entry.status === 101);
    assert.ok(line, "one access-log line for the session, with status 101");
    assert.equal(line.user, "alice");
  });

  it("carriesProtobufFramesWithTheTokenInTheHeader", async () => {
    const socket = new WebSocketClient(sessionUrl(svc.baseUrl, pod, "command=cat"), [protoFrames], { headers: { "X-Tapis-Token": alice } });
    const answers: ExecSessionResponse[] = [];
    socket.on("message", (data, isBinary) => {
      assert.ok(isBinary);
      answers.push(fromBinary(ExecSessionResponseSchema, data));
    });
    let closed = false;
    socket.on("close", () => (closed = true));
    socket.on("error", () => undefined);
    await eventually("the session to start", async () => answers[0]);
    assert.equal(socket.protocol, protoFrames);
    assert.equal(answers[0]!.output.case, "started");
    socket.send(toBinary(ExecSessionRequestSchema, create(ExecSessionRequestSchema, { input: { case: "stdin", value: Buffer.from("ping\n") } })));
    socket.send(toBinary(ExecSessionRequestSchema, create(ExecSessionRequestSchema, { input: { case: "stdinClosed", value: true } })));
    await eventually("the socket to close", async () => closed);
    const stdout = Buffer.concat(answers.flatMap((a) => (a.output.case === "stdout" ? [a.output.value] : []))).toString();
    assert.equal(stdout, "ping\n");
    const last = answers.at(-1)!.output;
    assert.ok(last.case === "ended" && last.value.exitCode === 0, JSON.stringify(last));
  });

  it("worksWithTheWebSocketBuiltIntoNode", async function () {
    const NativeWebSocket = (globalThis as { WebSocket?: typeof globalThis.WebSocket }).WebSocket;
    if (!NativeWebSocket) this.skip();
    const socket = new NativeWebSocket!(sessionUrl(svc.baseUrl, pod, "command=cat"), [jsonFrames, bearerProtocol(alice)]);
    const frames: Record<string, any>[] = [];
    let closed: number | null = null;
    socket.onmessage = (event) => frames.push(JSON.parse(String(event.data)) as Record<string, any>);
    socket.onclose = (event) => (closed = event.code);
    await eventually("the session to start", async () => frames[0]?.started);
    socket.send(JSON.stringify({ stdin: Buffer.from("native\n").toString("base64") }));
    socket.send(JSON.stringify({ stdin_closed: true }));
    await eventually("the socket to close", async () => closed !== null);
    assert.equal(closed, 1000);
    assert.equal(Buffer.from(frames.find((f) => f.stdout)!.stdout, "base64").toString(), "native\n");
    assert.deepEqual(frames.at(-1), { ended: { reason: "EXITED", exit_code: 0, message: "the command exited with code 0" } });
  });

  it("answersAPlainGetWith426", async () => {
    const answer = await svc.api("GET", `/v3/pods/${pod}/exec/session`, { token: alice });
    assert.equal(answer.status, 426);
    assert.equal(answer.headers.get("upgrade"), "websocket");
    assert.equal(answer.body.message, "this endpoint is a WebSocket: connect with Upgrade: websocket (see the README)");
  });

  it("refusesABadOpeningWith400NamingTheFieldAndTheRule", async () => {
    const refusals: [string, string][] = [
      ["idle_timeout=601", "idle_timeout: must be at most 600 seconds (the service's limit)"],
      ["tty=maybe", 'tty: expected true or false, got "maybe"'],
      ["shell=bash", "shell: unknown query parameter"],
      ["command=&command=x", "command[0]: must not be empty"],
    ];
    for (const [query, message] of refusals) {
      const answer = await upgradeAnswer(sessionUrl(svc.baseUrl, pod, query), { "X-Tapis-Token": alice });
      assert.deepEqual([answer.status, answer.body?.message, answer.body?.status], [400, message, "error"], query);
    }
  });

  it("closesTheSocketNamingTheFieldWhenAFrameBreaksARule", async () => {
    const broken = connect(sessionUrl(svc.baseUrl, pod, "tty=true"), [jsonFrames, bearerProtocol(alice)]);
    await eventually("the started frame", async () => broken.frames[0]);
    broken.sendRaw("not json");
    assert.deepEqual(await broken.closing(), { code: 4400, reason: "frame: not a JSON object" });

    const naming = connect(sessionUrl(svc.baseUrl, pod, "tty=true"), [jsonFrames, bearerProtocol(alice)]);
    await eventually("the started frame", async () => naming.frames[0]);
    naming.send({ pod_id: pod });
    assert.deepEqual(await naming.closing(), { code: 4400, reason: "pod_id: only the first message names the pod and the command" });

    const unknown = connect(sessionUrl(svc.baseUrl, pod, "tty=true"), [jsonFrames, bearerProtocol(alice)]);
    await eventually("the started frame", async () => unknown.frames[0]);
    unknown.send({ keys: "ls" });
    assert.deepEqual(await unknown.closing(), { code: 4400, reason: "keys: unknown field" });
  });

  it("endsTheSessionWhenTheClientGoesAway", async () => {
    const session = connect(sessionUrl(svc.baseUrl, pod, "tty=true"), [jsonFrames, bearerProtocol(alice)]);
    await eventually("the started frame", async () => session.frames[0]);
    assert.equal(await openSessions(svc), 4, "open at the gateway, at both hops of the control plane and in the agent");
    session.terminate();
    await eventually("the session to be gone", async () => (await openSessions(svc)) === 0, 10_000);
    const logs = await svc.api("GET", `/v3/pods/${pod}/logs`, { token: alice });
    assert.match(logs.body.result.action_logs.at(-1), /ended: the client went away\.$/);
  });

  it("holdsItsWindowsWhileTheWebSocketReaderStalls", async () => {
    const session = connect(sessionUrl(svc.baseUrl, pod, "command=cat"), [jsonFrames, bearerProtocol(alice)]);
    await eventually("the started frame", async () => session.frames[0]);
    session.pause();
    const chunk = Buffer.from(`${"y".repeat(1023)}\n`.repeat(64));
    const offered = 48 * 1024 * 1024;
    for (let sent = 0; sent < offered; sent += chunk.length) session.stdin(chunk);
    await eventually("the agent's window of output to fill", async () => (await metricValue(svc.baseUrl, "pods_agent_exec_output_unacknowledged_bytes")) >= 1024 * 1024);
    await eventually("the control plane's window of stdin to fill", async () => (await metricValue(svc.baseUrl, "pods_exec_stdin_unacknowledged_bytes")) >= 1024 * 1024);
    let unsent = session.bufferedAmount;
    await eventually("the client's writes to be held", async () => {
      const before = unsent;
      await new Promise((resolve) => setTimeout(resolve, 300));
      unsent = session.bufferedAmount;
      return unsent === before;
    });
    // Frames are base64 in JSON: 4/3 of the bytes.
    const taken = offered * (4 / 3) - unsent;
    assert.ok(taken <= 40 * 1024 * 1024, `the service took ${taken} bytes of frames from a client that reads nothing`);
    assert.ok((await metricValue(svc.baseUrl, "pods_gateway_exec_session_unsent_bytes")) <= 2 * 1024 * 1024);

    session.resume();
    session.send({ stdin_closed: true });
    assert.deepEqual(await session.ended(60_000), { reason: "EXITED", exit_code: 0, message: "the command exited with code 0" });
    assert.equal(session.stdoutBytes(), offered);
  });

  it("closesWith1008AClientThatFloodsFramesFasterThanTheSessionTakesThem", async () => {
    const flood = connect(sessionUrl(svc.baseUrl, pod, "tty=true"), [jsonFrames, bearerProtocol(alice)]);
    await eventually("the started frame", async () => flood.frames[0]);
    // One burst, written before the service has taken the first: the socket delivers them in large chunks.
    for (let i = 0; i < 200_000; i++) flood.stdin("A");
    assert.deepEqual(await flood.closing(30_000), { code: 1008, reason: "frames: at most 512 messages or 1 MiB of stdin may wait for the session; send less at once" });
    await eventually("the session to be gone", async () => (await openSessions(svc)) === 0, 10_000);
  });

  it("takesFramesAsLargeAsAFrameMayBeFollowedBySmallerOnesWithoutRefusingThem", async () => {
    const socket = new WebSocketClient(sessionUrl(svc.baseUrl, pod, "command=cat"), [protoFrames], { headers: { "X-Tapis-Token": alice } });
    const answers: ExecSessionResponse[] = [];
    socket.on("message", (data) => answers.push(fromBinary(ExecSessionResponseSchema, data)));
    let closed: number | null = null;
    socket.on("close", (code) => (closed = code));
    socket.on("error", () => undefined);
    await eventually("the session to start", async () => answers[0]);
    const stdin = (bytes: Buffer) => socket.send(toBinary(ExecSessionRequestSchema, create(ExecSessionRequestSchema, { input: { case: "stdin", value: bytes } })));
    // Each large frame is at the 1 MiB frame limit; the small one after it arrives while the large one is being taken.
    const large = Buffer.alloc(1024 * 1024 - 8, "x");
    const small = Buffer.alloc(4096, "y");
    for (let i = 0; i < 4; i++) {
      stdin(large);
      stdin(small);
    }
    socket.send(toBinary(ExecSessionRequestSchema, create(ExecSessionRequestSchema, { input: { case: "stdinClosed", value: true } })));
    await eventually("the socket to close", async () => closed !== null, 30_000);
    assert.equal(closed, 1000);
    const stdout = answers.reduce((sum, a) => sum + (a.output.case === "stdout" ? a.output.value.length : 0), 0);
    assert.equal(stdout, 4 * (large.length + small.length));
  });

  it("refusesWith400AnUpgradeTheWebSocketCannotAcceptAndOpensNoSession", async () => {
    const refusals: [Record<string, string>, number, string][] = [
      [{ "Sec-WebSocket-Protocol": `${jsonFrames}, ${jsonFrames}` }, 400, `Sec-WebSocket-Protocol: '${jsonFrames}' is offered twice`],
      [{ "Sec-WebSocket-Protocol": `${jsonFrames}, ${bearerProtocol(alice)}, ${bearerProtocol(alice)}` }, 400, "Sec-WebSocket-Protocol: the bearer token is offered twice"],
      [{ "Sec-WebSocket-Protocol": `${jsonFrames},, ${protoFrames}` }, 400, "Sec-WebSocket-Protocol: must be a comma-separated list of tokens"],
      [{ "Sec-WebSocket-Protocol": `${jsonFrames}, a/b` }, 400, "Sec-WebSocket-Protocol: must be a comma-separated list of tokens"],
      [{ "Sec-WebSocket-Version": "8" }, 400, "Sec-WebSocket-Version: must be 13"],
      [{ "Sec-WebSocket-Key": "c2hvcnQ=" }, 400, "Sec-WebSocket-Key: must be 16 bytes in base64"],
      // An upgrade to anything but a WebSocket is a plain GET of this endpoint.
      [{ Upgrade: "h2c" }, 426, "this endpoint is a WebSocket: connect with Upgrade: websocket (see the README)"],
    ];
    for (const [headers, status, message] of refusals) {
      const answer = await upgradeAnswer(sessionUrl(svc.baseUrl, pod, "tty=true"), { "X-Tapis-Token": alice, ...headers });
      assert.deepEqual([answer.status, answer.body?.message, answer.body?.status], [status, message, "error"], JSON.stringify(headers));
      await eventually(`no session left after ${JSON.stringify(headers)}`, async () => (await openSessions(svc)) === 0, 10_000);
    }
    // A client that hangs up right after asking: the upgrade is never completed, and no session stays open.
    await upgradeThenHangUp(sessionUrl(svc.baseUrl, pod, "tty=true"), { "X-Tapis-Token": alice, "Sec-WebSocket-Protocol": jsonFrames });
    await eventually("no session left after a client hung up during the upgrade", async () => (await openSessions(svc)) === 0, 10_000);
  });

  // Who calls, and the status of the upgrade request: the pod's creator, bob holding ADMIN, USER,
  // READ or nothing on it, alice of another tenant, and a service administrator.
  it("upgradesOnlyForThoseWhoMayRunCommandsInThePod", async () => {
    const cells: [string, () => Promise<string>, string | undefined, number][] = [
      ["owner", async () => alice, undefined, 101],
      ["ADMIN", () => svc.token("bob"), "ADMIN", 101],
      ["USER", () => svc.token("bob"), "USER", 101],
      ["READ", () => svc.token("bob"), "READ", 403],
      ["none", () => svc.token("bob"), undefined, 403],
      ["other tenant", () => otherTenant.token("alice"), undefined, 404],
      ["service admin", () => svc.token("admin"), undefined, 101],
    ];
    for (const [who, token, level, status] of cells) {
      const target = podId("authz");
      await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: target, template: "neo4j" } });
      await svc.waitForStatus(alice, target, "AVAILABLE");
      if (level) await svc.api("POST", `/v3/pods/${target}/permissions`, { token: alice, body: { user: "bob", level } });
      const answer = await upgradeAnswer(sessionUrl(svc.baseUrl, target, "tty=true"), { "Sec-WebSocket-Protocol": `${jsonFrames}, ${bearerProtocol(await token())}` });
      assert.equal(answer.status, status, `${who}: ${JSON.stringify(answer.body)}`);
      if (status === 101) assert.equal(answer.headers["sec-websocket-protocol"], jsonFrames, who);
      if (status === 403) assert.equal(answer.body?.message, `USER permission on pod '${target}' is required; you have ${level ?? "no permission"}`);
      if (status === 404) assert.equal(answer.body?.message, `pod '${target}' not found`);
    }
    const anonymous = await upgradeAnswer(sessionUrl(svc.baseUrl, pod, "tty=true"), {});
    assert.deepEqual([anonymous.status, anonymous.body?.message], [401, "X-Tapis-Token header is required"]);
  });
});
