import assert from "node:assert/strict";
import { infra } from "../support/infra-scripts.js";
import { startInstallation, type Installation, type InstallationOptions } from "../support/installation.js";

/** Runs `tasks` with at most `limit` at a time. */
async function inBatches<T>(count: number, limit: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await task(index);
      }
    }),
  );
  return results;
}

async function allAvailable(installation: Installation, token: string, podIds: string[], timeoutMs: number): Promise<void> {
  const wanted = new Set(podIds);
  const deadline = Date.now() + timeoutMs;
  let missing: string[] = [];
  while (Date.now() < deadline) {
    const listed = (await installation.api("GET", "/v3/pods", token)).body.result as { pod_id: string; status: string }[] | null;
    const available = new Set((listed ?? []).filter((p) => p.status === "AVAILABLE").map((p) => p.pod_id));
    missing = [...wanted].filter((id) => !available.has(id));
    if (missing.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${missing.length} pods never became AVAILABLE, e.g. ${missing.slice(0, 5).join(", ")}`);
}

/** Each agent of cluster a prefers another replica; without resync, only events tell agents of changes. */
const twoReplicasTwoAgentsWithoutResync: InstallationOptions = {
  replicas: 2,
  agents: [
    { name: "agent-a1", cluster: "a", replicas: [0, 1] },
    { name: "agent-a2", cluster: "a", replicas: [1, 0] },
  ],
  agentResyncSeconds: 0,
};

describe("fault: the Kafka broker stops for 30 s while pods are created", function () {
  this.timeout(300_000);
  let installation: Installation;

  before(async () => {
    installation = await startInstallation(twoReplicasTwoAgentsWithoutResync);
  });
  after(async () => {
    await infra("kafka", "start");
    await installation?.stop();
  });

  it("deliversAllTwoHundredAfterTheBrokerReturns", async () => {
    const token = await installation.token("alice");
    await infra("kafka", "stop");
    const stoppedAt = Date.now();
    const answers = await inBatches(200, 20, (i) => installation.api("POST", "/v3/pods", token, { pod_id: `outage${i}`, template: "postgres" }));
    assert.deepEqual(answers.filter((a) => a.status !== 200).map((a) => a.body.message), []);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 30_000 - (Date.now() - stoppedAt))));
    await infra("kafka", "start");
    await allAvailable(installation, token, answers.map((_, i) => `outage${i}`), 150_000);
  });
});

describe("fault: a control-plane replica is SIGKILLed during 500 creates", function () {
  this.timeout(300_000);
  let installation: Installation;

  before(async () => {
    installation = await startInstallation(twoReplicasTwoAgentsWithoutResync);
  });
  after(() => installation?.stop());

  it("keepsEveryAcknowledgedCreateAndDeliversItEffectivelyOnce", async () => {
    const token = await installation.token("alice");
    let acknowledged = 0;
    let killed: Promise<void> | undefined;
    const answers = await inBatches(500, 25, async (i) => {
      const answer = await installation.api("POST", "/v3/pods", token, { pod_id: `burst${i}`, template: "postgres" }).catch((error: unknown) => ({
        status: 0,
        body: { message: String(error), result: null },
      }));
      if (answer.status === 200 && ++acknowledged === 150) killed = installation.replicas[0]!.kill();
      return answer;
    });
    await killed;
    const kept = answers.flatMap((a, i) => (a.status === 200 ? [`burst${i}`] : []));
    // Only requests in flight to the replica when it died may fail, and they say so.
    const failed = answers.filter((a) => a.status !== 200);
    assert.ok(failed.length <= 25, `${failed.length} creates failed`);
    assert.deepEqual(failed.filter((a) => a.status !== 503 || !/connection to the service was lost/.test(a.body.message)), []);
    // The dead replica's claimed outbox rows are released after 30 s; the survivor publishes them.
    await allAvailable(installation, token, kept, 150_000);
    for (const podId of kept.slice(0, 40)) {
      const logs = (await installation.api("GET", `/v3/pods/${podId}/logs`, token)).body.result.action_logs as string[];
      assert.equal(logs.filter((line) => line.includes("Pod created by alice")).length, 1, podId);
      assert.equal(new Set(logs.filter((line) => line.includes("Creating pod")).map((line) => line.slice(line.indexOf(": ") + 2))).size, 1, podId);
    }
  });
});

describe("fault: an agent is killed", function () {
  this.timeout(180_000);
  let installation: Installation;

  before(async () => {
    installation = await startInstallation({
      replicas: 1,
      agents: [
        { name: "agent-a1", cluster: "a", replicas: [0] },
        { name: "agent-a2", cluster: "a", replicas: [0] },
      ],
    });
  });
  after(() => installation?.stop());

  it("letsTheOtherAgentOfItsClusterTakeOverAndConverge", async () => {
    const token = await installation.token("alice");
    const before = Array.from({ length: 10 }, (_, i) => `early${i}`);
    await Promise.all(before.map((podId) => installation.api("POST", "/v3/pods", token, { pod_id: podId, template: "postgres" })));
    await allAvailable(installation, token, before, 60_000);
    await installation.agents.get("agent-a1")!.kill();
    const after = Array.from({ length: 10 }, (_, i) => `late${i}`);
    await Promise.all(after.map((podId) => installation.api("POST", "/v3/pods", token, { pod_id: podId, template: "postgres" })));
    await installation.api("GET", "/v3/pods/early0/stop", token);
    await allAvailable(installation, token, [...before.slice(1), ...after], 90_000);
    await installation.waitForStatus(token, "early0", "STOPPED", 60_000);
  });
});

describe("fault: MariaDB restarts", function () {
  this.timeout(180_000);
  let installation: Installation;

  before(async () => {
    installation = await startInstallation({ replicas: 1, agents: [{ name: "agent-a1", cluster: "a", replicas: [0] }] });
  });
  after(async () => {
    await infra("mariadb", "start");
    await installation?.stop();
  });

  it("answersAClear503DuringTheOutageAndWorksAfter", async () => {
    const token = await installation.token("alice");
    assert.equal((await installation.api("POST", "/v3/pods", token, { pod_id: "beforeoutage", template: "postgres" })).status, 200);
    await infra("mariadb", "stop");
    const during = await installation.api("GET", "/v3/pods", token);
    assert.equal(during.status, 503, during.body.message);
    assert.match(during.body.message, /database unavailable/);
    const create = await installation.api("POST", "/v3/pods", token, { pod_id: "duringoutage", template: "postgres" });
    assert.equal(create.status, 503, create.body.message);
    const health = await fetch(`${installation.gatewayUrl}/v3/pods/healthcheck`);
    assert.equal(health.status, 503);
    assert.match(((await health.json()) as { message: string }).message, /not ready: database unreachable/);

    await infra("mariadb", "start");
    const deadline = Date.now() + 60_000;
    let after = during;
    while (Date.now() < deadline && after.status !== 200) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      after = await installation.api("GET", "/v3/pods", token);
    }
    assert.equal(after.status, 200, after.body.message);
    assert.equal((await installation.api("POST", "/v3/pods", token, { pod_id: "afteroutage", template: "postgres" })).status, 200);
    await installation.waitForStatus(token, "afteroutage", "AVAILABLE", 60_000);
    await installation.waitForStatus(token, "beforeoutage", "AVAILABLE", 60_000);
  });
});
