import assert from "node:assert/strict";
import { clusterCommandsTopic, podEventKey } from "../../shared/events/event-bus.js";
import { eventually } from "../support/eventually.js";
import { infra } from "../support/infra-scripts.js";
import { connectKafkaGroups, partitionOfKey, type KafkaGroups } from "../support/kafka-groups.js";
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

/** `each` pod ids per partition of a topic with `partitions` partitions, keyed as the service keys dev-tenant pod events. */
function podIdsOnEveryPartition(prefix: string, partitions: number, each: number): string[][] {
  const byPartition: string[][] = Array.from({ length: partitions }, () => []);
  for (let i = 0; byPartition.some((ids) => ids.length < each); i++) {
    const ids = byPartition[partitionOfKey(podEventKey("dev", `${prefix}${i}`), partitions)]!;
    if (ids.length < each) ids.push(`${prefix}${i}`);
  }
  return byPartition;
}

describe("fault: an agent is killed", function () {
  this.timeout(180_000);
  let installation: Installation;
  let kafka: KafkaGroups;

  before(async () => {
    // No resync: only the events of its partitions can tell the surviving agent what to do.
    installation = await startInstallation({
      replicas: 1,
      agents: [
        { name: "agent-a1", cluster: "a", replicas: [0] },
        { name: "agent-a2", cluster: "a", replicas: [0] },
      ],
      agentResyncSeconds: 0,
    });
    kafka = await connectKafkaGroups((process.env.PODS_TEST_KAFKA ?? "").split(","));
  });
  after(async () => {
    await kafka?.close();
    await installation?.stop();
  });

  it("handsTheDeadAgentsPartitionsToTheOtherAgentOfItsCluster", async () => {
    const token = await installation.token("alice");
    const topic = clusterCommandsTopic(installation.clusters.a);
    const group = `pods-agents-${installation.clusters.a}`;
    const partitions = await eventually(`topic ${topic}`, () => kafka.partitionCount(topic), 60_000);
    const shared = await eventually("both agents to hold partitions of the cluster's topic", async () => {
      const members = await kafka.assignment(group, topic);
      return members.size === 2 && [...members.values()].every((held) => held.length > 0) && members;
    }, 60_000);

    // Pods on every partition, so some are on the partitions of the agent that dies.
    const early = podIdsOnEveryPartition("early", partitions, 3);
    const late = podIdsOnEveryPartition("late", partitions, 3);
    const toStop = early.map((ids) => ids[0]!);
    const toKeep = early.flatMap((ids) => ids.slice(1));
    await Promise.all(early.flat().map((podId) => installation.api("POST", "/v3/pods", token, { pod_id: podId, template: "postgres" })));
    await allAvailable(installation, token, early.flat(), 60_000);

    await installation.agents.get("agent-a1")!.kill();
    // Sent before the broker notices the death: the dead agent's share waits for the rebalance.
    const created = await Promise.all(late.flat().map((podId) => installation.api("POST", "/v3/pods", token, { pod_id: podId, template: "postgres" })));
    assert.deepEqual(created.filter((answer) => answer.status !== 200).map((answer) => answer.body.message), []);
    for (const podId of toStop) assert.equal((await installation.api("GET", `/v3/pods/${podId}/stop`, token)).status, 200);

    const taken = await eventually("the surviving agent to hold every partition after the session timeout", async () => {
      const members = await kafka.assignment(group, topic);
      return members.size === 1 && [...members.values()][0]!.length === partitions && members;
    }, 60_000);
    const survivor = [...taken.keys()][0]!;
    assert.ok(shared.has(survivor), `the partitions went to a new member ${survivor}, not to the surviving agent`);
    const deadPartitions = [...shared].filter(([member]) => member !== survivor).flatMap(([, held]) => held);
    assert.ok(deadPartitions.length > 0);

    // With resync off, only the events of the dead agent's partitions, now the survivor's, can move
    // the late pods and stop the pods of those partitions.
    await allAvailable(installation, token, [...late.flat(), ...toKeep], 90_000);
    for (const podId of toStop) await installation.waitForStatus(token, podId, "STOPPED", 60_000);
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
