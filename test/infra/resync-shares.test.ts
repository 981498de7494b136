import assert from "node:assert/strict";
import { podEventKey } from "../../shared/events/event-bus.js";
import { holdsKey } from "../../shared/events/key-partitions.js";
import { eventually } from "../support/eventually.js";
import { startInstallation, type Installation } from "../support/installation.js";
import type { ServiceProcess } from "../support/processes.js";

interface ResyncLine {
  msg: string;
  listed: number;
  partitionCount?: number;
  partitions?: number[];
}

/** The agent's latest "resync done" line. */
function lastResync(agent: ServiceProcess): ResyncLine | undefined {
  const lines = agent
    .output()
    .split("\n")
    .filter((line) => line.includes('"msg":"resync done"'))
    .map((line) => JSON.parse(line) as ResyncLine);
  return lines.at(-1);
}

/**
 * The agents' latest resyncs when they split the topic's partitions between
 * them (disjoint, all covered), each with the pods of its own share; else
 * undefined (a rebalance has not reached every agent yet).
 */
function splitResyncs(agents: ServiceProcess[], keys: string[]): ResyncLine[] | undefined {
  const latest = agents.map(lastResync);
  if (latest.some((line) => !line?.partitions || !line.partitionCount)) return undefined;
  const held = latest.flatMap((line) => line!.partitions!).sort((a, b) => a - b);
  const count = latest[0]!.partitionCount!;
  if (held.join() !== Array.from({ length: count }, (_, i) => i).join()) return undefined;
  const owned = latest.map((line) => keys.filter((key) => holdsKey({ partitionCount: count, partitions: line!.partitions! }, key)).length);
  return latest.every((line, i) => line!.listed === owned[i]) ? (latest as ResyncLine[]) : undefined;
}

/** Waits for splitResyncs; on timeout says what each agent's latest resync was. */
async function eventuallySplit(what: string, agents: ServiceProcess[], keys: string[]): Promise<ResyncLine[]> {
  try {
    return await eventually(what, async () => splitResyncs(agents, keys), 90_000);
  } catch (error) {
    throw new Error(`${(error as Error).message}; latest resyncs: ${JSON.stringify(agents.map(lastResync))}`);
  }
}

describe("the agents of one cluster share its resync as they share its events", function () {
  this.timeout(300_000);
  const pods = Array.from({ length: 30 }, (_, i) => `share${i}`);
  const keys = pods.map((podId) => podEventKey("dev", podId));
  let installation: Installation;

  before(async () => {
    // Resync every 300 s: within this test, only a rebalance can start one.
    installation = await startInstallation({
      replicas: 1,
      agents: [
        { name: "agent-a1", cluster: "a", replicas: [0] },
        { name: "agent-a2", cluster: "a", replicas: [0] },
      ],
      agentResyncSeconds: 300,
    });
    const token = await installation.token("alice");
    for (const podId of pods) {
      const created = await installation.api("POST", "/v3/pods", token, { pod_id: podId, template: "postgres" });
      assert.equal(created.status, 200, created.body.message);
    }
    for (const podId of pods) await installation.waitForStatus(token, podId, "AVAILABLE", 60_000);
  });
  after(() => installation?.stop());

  it("resyncsEachPodOnlyOnTheAgentHoldingItsPartitionWhenAnAgentJoins", async () => {
    const third = await installation.startAgent("agent-a3", installation.clusters.a, [0]);
    const agents = [installation.agents.get("agent-a1")!, installation.agents.get("agent-a2")!, third];
    const split = await eventuallySplit("the three agents to resync disjoint shares covering every partition", agents, keys);
    assert.equal(split.reduce((sum, line) => sum + line.listed, 0), pods.length);
  });

  it("hasTheSurvivorsResyncTheDeadAgentsShareAtOnce", async () => {
    await installation.agents.get("agent-a3")!.kill();
    const survivors = [installation.agents.get("agent-a1")!, installation.agents.get("agent-a2")!];
    const split = await eventuallySplit("the two survivors to resync shares covering every partition", survivors, keys);
    assert.equal(split.reduce((sum, line) => sum + line.listed, 0), pods.length);
  });
});
