import assert from "node:assert/strict";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, ConnectError, createClient, type ConnectRouter, type Interceptor, type Transport } from "@connectrpc/connect";
import { connectNodeAdapter, createConnectTransport } from "@connectrpc/connect-node";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { PodsService } from "../../gen/tapis/pods/v1/pods_service_pb.js";
import { InProcessTransport } from "../../shared/rpc/in-process-transport.js";
import { eventually } from "../support/eventually.js";

/**
 * The embedded gateway calls its control plane in process. Every call must
 * end as it would over the wire: the same answer and response metadata,
 * the same code, message and metadata of an error, DeadlineExceeded past the
 * deadline and Canceled when the caller gives up; the server's interceptors
 * see the same request headers, and its handler's signal aborts when the
 * caller goes away.
 */
describe("in-process transport, beside the wire", () => {
  let server: http2.Http2Server;
  let wire: Transport;
  let local: Transport;
  const handlerSignals: AbortSignal[] = [];
  let releaseSlow: () => void = () => {};
  const sessions: http2.ServerHttp2Session[] = [];

  const routes = (router: ConnectRouter) =>
    router.service(PodsService, {
      async getPod(req, ctx) {
        handlerSignals.push(ctx.signal);
        if (req.podId === "boom") throw new Error("a fault with secret details");
        if (req.podId === "missing") throw new ConnectError(`pod '${req.podId}' not found`, Code.NotFound);
        if (req.podId === "slow") await new Promise<void>((resolve) => (releaseSlow = resolve));
        return { message: `seen ${ctx.requestHeader.get("x-tapis-token")} ${ctx.requestHeader.get("x-from-client")}`, result: { podId: req.podId, url: "https://p1.example", environmentVariables: { A: "1" }, creationTs: { seconds: 1_700_000_000n } } };
      },
      async deletePod() {
        throw new ConnectError("refused", Code.PermissionDenied, { "x-why": "a rule" });
      },
    });
  // A server interceptor that answers metadata, as the call log names the caller.
  const serverInterceptors: Interceptor[] = [
    (next) => async (req) => {
      try {
        const res = await next(req);
        res.header.set("x-caller", `caller of ${req.method.name}`);
        return res;
      } catch (error) {
        if (error instanceof ConnectError) error.metadata.set("x-caller", `caller of ${req.method.name}`);
        throw error;
      }
    },
  ];
  const clientInterceptors: Interceptor[] = [
    (next) => (req) => {
      req.header.set("x-from-client", "interceptor");
      return next(req);
    },
  ];

  before(async () => {
    server = http2.createServer(connectNodeAdapter({ routes, interceptors: serverInterceptors }));
    server.on("session", (session) => sessions.push(session));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    wire = createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true, interceptors: clientInterceptors });
    local = new InProcessTransport({ routes, serverInterceptors, clientInterceptors, wire });
  });
  after(async () => {
    for (const session of sessions) session.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const both = async <T>(call: (transport: Transport) => Promise<T>): Promise<[T, T]> => [await call(wire), await call(local)];
  const failure = async (call: Promise<unknown>): Promise<ConnectError> => {
    try {
      await call;
    } catch (error) {
      assert.ok(error instanceof ConnectError, String(error));
      return error;
    }
    assert.fail("the call succeeded");
  };
  const shape = (error: ConnectError, header: string) => ({ code: error.code, rawMessage: error.rawMessage, metadata: error.metadata.get(header) });

  it("answersTheSameMessageAndMetadata", async () => {
    const [overWire, inProcess] = await both(async (transport) => {
      const res = await transport.unary(PodsService.method.getPod, undefined, 5_000, { "x-tapis-token": "t0k3n" }, { podId: "p1" });
      return { message: res.message, caller: res.header.get("x-caller") };
    });
    assert.deepEqual(inProcess, overWire);
    assert.equal(inProcess.message.message, "seen t0k3n interceptor");
    assert.equal(inProcess.caller, "caller of GetPod");
  });

  it("failsWithTheSameCodeMessageAndMetadata", async () => {
    const [overWire, inProcess] = await both(async (transport) => shape(await failure(createClient(PodsService, transport).getPod({ podId: "missing" })), "x-caller"));
    assert.deepEqual(inProcess, overWire);
    assert.deepEqual(inProcess, { code: Code.NotFound, rawMessage: "pod 'missing' not found", metadata: "caller of GetPod" });
    const [deniedWire, deniedLocal] = await both(async (transport) => shape(await failure(createClient(PodsService, transport).deletePod({ podId: "x" })), "x-why"));
    assert.deepEqual(deniedLocal, deniedWire);
  });

  it("turnsAnyOtherFaultIntoAnInternalErrorWithoutItsDetails", async () => {
    const [overWire, inProcess] = await both(async (transport) => shape(await failure(createClient(PodsService, transport).getPod({ podId: "boom" })), "x-caller"));
    assert.deepEqual(inProcess, overWire);
    assert.equal(inProcess.code, Code.Internal);
    assert.doesNotMatch(inProcess.rawMessage, /secret/);
  });

  it("failsPastTheDeadlineAsTheWireDoes", async () => {
    const [overWire, inProcess] = await both(async (transport) => {
      const error = await failure(createClient(PodsService, transport).getPod({ podId: "slow" }, { timeoutMs: 100 }));
      releaseSlow();
      return error.code;
    });
    assert.equal(inProcess, overWire);
    assert.equal(inProcess, Code.DeadlineExceeded);
  });

  it("isCanceledWhenTheCallerGivesUpAndTellsTheHandler", async () => {
    const [overWire, inProcess] = await both(async (transport) => {
      const abort = new AbortController();
      const handled = handlerSignals.length;
      const pending = createClient(PodsService, transport).getPod({ podId: "slow" }, { signal: abort.signal });
      const signal = await eventually("the handler to run", async () => handlerSignals.length > handled && handlerSignals.at(-1), 5_000);
      abort.abort();
      const error = await failure(pending);
      // Over the wire the server learns of it from the stream's reset, a moment later.
      const handlerAborted = await eventually("the handler's signal to abort", async () => signal.aborted, 5_000).catch(() => false);
      releaseSlow();
      return { code: error.code, handlerAborted };
    });
    assert.deepEqual(inProcess, overWire);
    assert.deepEqual(inProcess, { code: Code.Canceled, handlerAborted: true });
  });

  it("sendsCallsOfServicesItDoesNotServeOverTheWire", async () => {
    const overWire = await failure(createClient(Health, wire).check({}));
    const inProcess = await failure(createClient(Health, local).check({}));
    assert.deepEqual(shape(inProcess, "x-caller"), shape(overWire, "x-caller"));
    assert.equal(inProcess.code, Code.Unimplemented);
  });
});
