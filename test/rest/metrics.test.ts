import assert from "node:assert/strict";
import { parsePrometheusText, type MetricFamily } from "../support/prometheus-text.js";
import { podId, startTestService, type TestService } from "../support/test-service.js";

/** Prometheus metrics of the service, moving as it works, without user data in labels. */
describe("metrics", () => {
  let svc: TestService;
  let alice: string;

  before(async () => {
    svc = await startTestService();
    alice = await svc.token("alice");
  });
  after(() => svc.stop());

  const scrape = async (base: string): Promise<Map<string, MetricFamily>> => {
    const response = await fetch(`${base}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
    return new Map(parsePrometheusText(await response.text()).map((family) => [family.name, family]));
  };
  const sum = (family: MetricFamily | undefined, labels: Record<string, string> = {}) =>
    (family?.metrics ?? [])
      .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
      .reduce((total, m) => total + Number(m.value ?? m.count ?? 0), 0);

  it("countsRequestsByRouteTemplateAndStatusWithLatencies", async () => {
    const before = await scrape(svc.baseUrl);
    const id = podId("metric");
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: id, image: "busybox" } })).status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await svc.api("GET", `/v3/pods/${id}`, { token: alice })).status, 200);
    assert.equal((await svc.api("GET", "/v3/pods/nosuchpod", { token: alice })).status, 404);
    const after = await scrape(svc.baseUrl);
    const requests = (m: Map<string, MetricFamily>, labels: Record<string, string>) => sum(m.get("pods_http_requests_total"), labels);
    assert.equal(requests(after, { route: "/v3/pods/{pod_id}", method: "GET", status: "200" }) - requests(before, { route: "/v3/pods/{pod_id}", method: "GET", status: "200" }), 3);
    assert.equal(requests(after, { route: "/v3/pods/{pod_id}", method: "GET", status: "404" }) - requests(before, { route: "/v3/pods/{pod_id}", method: "GET", status: "404" }), 1);
    assert.equal(after.get("pods_http_request_duration_seconds")?.type, "HISTOGRAM");
    assert.ok(sum(after.get("pods_http_request_duration_seconds"), { route: "/v3/pods" }) >= 1);
  });

  it("showsPodsByStatusAndClusterTheOutboxAndAgentWork", async () => {
    const id = podId("gauge");
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: id, image: "busybox" } })).status, 200);
    await svc.waitForStatus(alice, id, "AVAILABLE");
    const metrics = await scrape(svc.baseUrl);
    assert.ok(sum(metrics.get("pods_pods"), { cluster: "local", status: "AVAILABLE" }) >= 1);
    for (const name of [
      "pods_outbox_depth",
      "pods_outbox_oldest_age_seconds",
      "pods_event_delivery_seconds",
      "pods_agent_sessions",
      "pods_reconcile_duration_seconds",
      "pods_reconcile_errors_total",
      "pods_event_consumer_lag",
      "pods_rpc_duration_seconds",
    ]) {
      assert.ok(metrics.has(name), `${name} is missing`);
    }
    assert.equal(sum(metrics.get("pods_agent_sessions"), { cluster: "local" }), 1);
    assert.ok(sum(metrics.get("pods_reconcile_duration_seconds")) >= 1);
  });

  it("labelsNothingWithPodIdsOrUsers", async () => {
    const text = await (await fetch(`${svc.baseUrl}/metrics`)).text();
    assert.doesNotMatch(text, /metric[0-9a-f]{8}|gauge[0-9a-f]{8}|alice/);
  });

  it("servesTheControlPlanesMetricsOnItsOwnPortToo", async () => {
    const metrics = await scrape(svc.grpcUrl);
    assert.ok(metrics.has("pods_rpc_duration_seconds"));
  });
});
