import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { context, propagation, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { eventually } from "../support/eventually.js";
import { podId, startTestService, type TestService } from "../support/test-service.js";

/**
 * W3C trace context from the client through the gateway, the control plane,
 * the outbox event and the agent: one create is one trace. Spans are kept in
 * memory here; OTEL_* variables send them to an OTLP collector otherwise.
 */
describe("tracing", () => {
  const exporter = new InMemorySpanExporter();
  let provider: NodeTracerProvider;
  let svc: TestService;

  before(async () => {
    provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.register();
    svc = await startTestService();
  });
  after(async () => {
    await svc.stop();
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  const component = (span: ReadableSpan) => span.instrumentationScope.name;

  it("followsOneCreateFromTheClientToTheAgentInOneTrace", async () => {
    const token = await svc.token("alice");
    const traceId = randomBytes(16).toString("hex");
    const id = podId("traced");
    const created = await svc.api("POST", "/v3/pods", { token, body: { pod_id: id, image: "busybox" }, headers: { traceparent: `00-${traceId}-${randomBytes(8).toString("hex")}-01` } });
    assert.equal(created.status, 200);
    await svc.waitForStatus(token, id, "AVAILABLE");
    const spans = await eventually("spans of the gateway, the control plane and the agent", async () => {
      const ofTrace = exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
      const components = new Set(ofTrace.map(component));
      return ["tapis-pods/gateway", "tapis-pods/control-plane", "tapis-pods/agent"].every((c) => components.has(c)) ? ofTrace : undefined;
    });
    const names = spans.map((span) => `${component(span)}: ${span.name}`);
    assert.ok(names.includes("tapis-pods/gateway: POST /v3/pods"), names.join("\n"));
    assert.ok(names.includes("tapis-pods/control-plane: tapis.pods.v1.PodsService/CreatePod"), names.join("\n"));
    assert.ok(names.some((name) => name.startsWith("tapis-pods/agent: sync pod")), names.join("\n"));
    assert.doesNotMatch(JSON.stringify(spans.map((s) => s.attributes)), new RegExp(token.slice(-20)));
  });

  it("startsATraceForARequestThatCarriesNone", async () => {
    const token = await svc.token("alice");
    exporter.reset();
    assert.equal((await svc.api("GET", "/v3/pods", { token })).status, 200);
    const gatewaySpan = await eventually("the gateway's span", async () => exporter.getFinishedSpans().find((s) => s.name === "GET /v3/pods"));
    const cpSpan = exporter.getFinishedSpans().find((s) => s.name === "tapis.pods.v1.PodsService/ListPods");
    assert.ok(cpSpan);
    assert.equal(cpSpan.spanContext().traceId, gatewaySpan.spanContext().traceId);
  });
});
