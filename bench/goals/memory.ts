import { metricValue } from "../../test/support/metric-values.js";
import type { Installation } from "../../test/support/installation.js";
import { startBenchChild, rssMiBOf } from "../support/child-service.js";
import { underLoad } from "../support/machine.js";
import { loadSpan, thousands, type GoalRow } from "./goal-row.js";
import { inParallel, names } from "./pods-at-once.js";

export interface MemoryOptions {
  /** Pods the agent runs when its memory is read. */
  agentPods: number;
  /** Pods in the control plane's database when its memory is read. */
  databasePods: number;
  inFlight: number;
  /** A file for the bare node:http peer to serve (any bytes). */
  bareBody: string;
  log(line: string): void;
}

const mb = (mib: number) => (mib * 2 ** 20) / 1e6;

/**
 * Resident memory of the distributed installation's processes, each alone:
 * the agent (simulated driver) once `agentPods` pods are AVAILABLE, the
 * control plane once its database holds `databasePods` pods. Each is read
 * after the process had 5 s to settle; the peer is a bare node:http process.
 */
export async function memoryGoal(installation: Installation, token: string, options: MemoryOptions): Promise<GoalRow[]> {
  const agent = [...installation.agents.values()][0]!;
  const replica = installation.replicas[0]!;
  const bare = await startBenchChild<{ url: string }>("bench/peers/bare-http.js", [options.bareBody]);
  try {
    const bareMiB = bare.rssMiB();
    const idle = { agentMiB: rssMiBOf(agent.child.pid!), replicaMiB: rssMiBOf(replica.child.pid!) };
    const existing = await metricValue(installation.replicaUrls[0]!, "pods_pods");
    const fill = async (total: number) => {
      const start = await metricValue(installation.replicaUrls[0]!, "pods_pods");
      let failures = 0;
      await inParallel(names(`mem${start}x`, Math.max(0, total - start)), options.inFlight, async (name) => {
        const answer = await installation.api("POST", "/v3/pods", token, { pod_id: name, template: "postgres" });
        if (answer.status !== 200) failures++;
      });
      return failures;
    };
    const agentFigures = await underLoad(async () => {
      const failures = await fill(options.agentPods);
      const deadline = Date.now() + 300_000;
      while ((await metricValue(installation.replicaUrls[0]!, "pods_pods", { status: "AVAILABLE" })) < options.agentPods && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      return { failures, available: await metricValue(installation.replicaUrls[0]!, "pods_pods", { status: "AVAILABLE" }), agentMiB: rssMiBOf(agent.child.pid!), replicaMiB: rssMiBOf(replica.child.pid!) };
    });
    options.log(`memory: ${agentFigures.available} pods AVAILABLE (from ${existing}): agent ${agentFigures.agentMiB} MiB, control plane ${agentFigures.replicaMiB} MiB; load ${agentFigures.load[0]}`);
    const replicaFigures = await underLoad(async () => {
      const failures = await fill(options.databasePods);
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      return { failures, pods: await metricValue(installation.replicaUrls[0]!, "pods_pods"), replicaMiB: rssMiBOf(replica.child.pid!), agentMiB: rssMiBOf(agent.child.pid!) };
    });
    options.log(`memory: ${replicaFigures.pods} pods in the database: control plane ${replicaFigures.replicaMiB} MiB, agent ${replicaFigures.agentMiB} MiB; load ${replicaFigures.load[1]}`);
    const peer = `a bare node:http process: ${bareMiB} MiB`;
    return [
      {
        goal: `Memory: an agent alone (simulated driver) with ${thousands(options.agentPods)} pods AVAILABLE`,
        figure: `${agentFigures.agentMiB} MiB RSS (${mb(agentFigures.agentMiB).toFixed(0)} MB; ${idle.agentMiB} MiB before the fill), ${agentFigures.available} pods AVAILABLE${agentFigures.failures ? ` (${agentFigures.failures} creates failed)` : ""}`,
        peer,
        ratio: `${(agentFigures.agentMiB / bareMiB).toFixed(1)}× node:http`,
        target: "≤ 150 MB",
        met: mb(agentFigures.agentMiB) <= 150 && agentFigures.available >= options.agentPods,
        load: loadSpan([agentFigures.load]),
      },
      {
        goal: `Memory: a control plane (MariaDB) with ${thousands(options.databasePods)} pods in its database`,
        figure: `${replicaFigures.replicaMiB} MiB RSS (${mb(replicaFigures.replicaMiB).toFixed(0)} MB; ${idle.replicaMiB} MiB before the fill, ${agentFigures.replicaMiB} MiB at ${thousands(options.agentPods)} pods), ${replicaFigures.pods} pods; the agent then ${replicaFigures.agentMiB} MiB${replicaFigures.failures ? ` (${replicaFigures.failures} creates failed)` : ""}`,
        peer,
        ratio: `${(replicaFigures.replicaMiB / bareMiB).toFixed(1)}× node:http`,
        target: "≤ 200 MB",
        met: mb(replicaFigures.replicaMiB) <= 200 && replicaFigures.pods >= options.databasePods,
        load: loadSpan([replicaFigures.load]),
      },
    ];
  } finally {
    await bare.stop();
  }
}
