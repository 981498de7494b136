import assert from "node:assert/strict";
import { eventually } from "../support/eventually.js";
import { parsePrometheusText, prometheusClientRequirement, type MetricFamily } from "../support/prometheus-text.js";
import { pythonRequired, pythonWith, PythonUnavailable } from "../support/python-venv.js";
import { podId, startTestService, type TestService } from "../support/test-service.js";

/**
 * Prometheus metrics of the service, moving as it works, without user data
 * in labels; parsed by the official Prometheus client's parser.
 */
describe("metrics", function () {
  let svc: TestService;
  let alice: string;
  let python: string;

  before(async function () {
    this.timeout(300_000);
    try {
      python = await pythonWith(prometheusClientRequirement);
    } catch (error) {
      if (!(error instanceof PythonUnavailable) || pythonRequired()) throw error;
      console.log(`  (skipped: ${error.message}; set PODS_REQUIRE_PYTHON=1 to make this a failure)`);
      this.skip();
    }
    svc = await startTestService();
    alice = await svc.token("alice");
  });
  after(() => svc?.stop());

  /** Every sample of the scrape, by sample name (counters end in _total, histograms in _count, _sum, _bucket). */
  const scrape = async (base: string) => {
    const response = await fetch(`${base}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
    const families = await parsePrometheusText(python, await response.text());
    return { families: new Map(families.map((f) => [f.name, f])), samples: families.flatMap((f: MetricFamily) => f.samples) };
  };
  type Scrape = Awaited<ReturnType<typeof scrape>>;
  const sum = (scraped: Scrape, sample: string, labels: Record<string, string> = {}) =>
    scraped.samples.filter((s) => s.name === sample && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((total, s) => total + (s.value ?? 0), 0);

  it("countsRequestsByRouteTemplateAndStatusWithLatencies", async () => {
    const before = await scrape(svc.baseUrl);
    const id = podId("metric");
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: id, image: "busybox" } })).status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await svc.api("GET", `/v3/pods/${id}`, { token: alice })).status, 200);
    assert.equal((await svc.api("GET", "/v3/pods/nosuchpod", { token: alice })).status, 404);
    const after = await scrape(svc.baseUrl);
    const moved = (labels: Record<string, string>) => sum(after, "pods_http_requests_total", labels) - sum(before, "pods_http_requests_total", labels);
    assert.equal(moved({ route: "/v3/pods/{pod_id}", method: "GET", status: "200" }), 3);
    assert.equal(moved({ route: "/v3/pods/{pod_id}", method: "GET", status: "404" }), 1);
    assert.equal(after.families.get("pods_http_request_duration_seconds")?.type, "histogram");
    assert.equal(sum(after, "pods_http_request_duration_seconds_count", { route: "/v3/pods/{pod_id}", method: "GET" }) - sum(before, "pods_http_request_duration_seconds_count", { route: "/v3/pods/{pod_id}", method: "GET" }), 4);
  });

  it("showsPodsByStatusAndClusterTheOutboxAndAgentWork", async () => {
    const id = podId("gauge");
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: id, image: "busybox" } })).status, 200);
    await svc.waitForStatus(alice, id, "AVAILABLE");
    const metrics = await scrape(svc.baseUrl);
    assert.ok(sum(metrics, "pods_pods", { cluster: "local", status: "AVAILABLE" }) >= 1);
    for (const family of [
      "pods_outbox_depth",
      "pods_outbox_oldest_age_seconds",
      "pods_event_delivery_seconds",
      "pods_agent_sessions",
      "pods_agent_reports_waiting",
      "pods_agent_report_batch_size",
      "pods_reconcile_duration_seconds",
      "pods_reconcile_errors",
      "pods_event_consumer_lag",
      "pods_rpc_duration_seconds",
    ]) {
      assert.ok(metrics.families.has(family), `${family} is missing`);
    }
    assert.equal(sum(metrics, "pods_agent_sessions", { cluster: "local" }), 1);
    assert.ok(sum(metrics, "pods_agent_report_batch_size_count") >= 1, "the agent's status reports were stored");
    assert.ok(sum(metrics, "pods_reconcile_duration_seconds_count", { outcome: "done" }) >= 1);
    assert.ok(sum(metrics, "pods_event_delivery_seconds_count") >= 1);
  });

  it("showsWhatWaitsInTheAgentAndNothingOnceItsWorkIsDone", async () => {
    const id = podId("backlog");
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: id, image: "busybox" } })).status, 200);
    await svc.waitForStatus(alice, id, "AVAILABLE");
    // The sync that reported AVAILABLE may still be finishing, and its report waits for an acknowledgement.
    await eventually("the agent to show no syncs or reports waiting", async () => {
      const metrics = await scrape(svc.baseUrl);
      for (const family of ["pods_agent_syncs_waiting", "pods_agent_reports_unacknowledged"]) {
        assert.equal(metrics.families.get(family)?.type, "gauge", `${family} is missing`);
      }
      return sum(metrics, "pods_agent_syncs_waiting") + sum(metrics, "pods_agent_reports_unacknowledged") === 0;
    }, 10_000);
  });

  it("timesEachEventFromItsCommitToTheAgentThatReceivedIt", async () => {
    const before = await scrape(svc.baseUrl);
    const id = podId("received");
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: id, image: "busybox" } })).status, 200);
    await svc.waitForStatus(alice, id, "AVAILABLE");
    const after = await scrape(svc.baseUrl);
    assert.equal(after.families.get("pods_agent_event_received_seconds")?.type, "histogram");
    const received = (scraped: Scrape, labels: Record<string, string> = {}) => sum(scraped, "pods_agent_event_received_seconds_count", labels);
    assert.ok(received(after) - received(before) >= 1);
    // Every event is within the last bucket; the goal's bounds (20 ms, 100 ms) are buckets of their own.
    assert.equal(sum(after, "pods_agent_event_received_seconds_bucket", { le: "+Inf" }), received(after));
    for (const bound of ["0.02", "0.1"]) assert.ok(after.samples.some((s) => s.name === "pods_agent_event_received_seconds_bucket" && Number(s.labels.le) === Number(bound)), `no bucket at ${bound} s`);
  });

  it("labelsNothingWithPodIdsOrUsers", async () => {
    const { samples } = await scrape(svc.baseUrl);
    const values = samples.flatMap((s) => Object.values(s.labels));
    assert.ok(values.length > 0);
    assert.deepEqual(values.filter((v) => /metric[0-9a-f]{8}|gauge[0-9a-f]{8}|alice/.test(v)), []);
  });

  it("servesTheControlPlanesMetricsOnItsOwnPortToo", async () => {
    const metrics = await scrape(svc.grpcUrl);
    assert.ok(sum(metrics, "pods_rpc_duration_seconds_count", { procedure: "tapis.pods.v1.PodsService/GetPod", code: "ok" }) >= 3);
  });
});
