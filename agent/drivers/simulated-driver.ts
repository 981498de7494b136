import type { DesiredPod } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { PodStatus, StatusRequested } from "../../gen/tapis/pods/v1/pod_pb.js";
import { Writable } from "node:stream";
import {
  keyString,
  parseKey,
  type ClusterDriver,
  type CommandOutcome,
  type ObservationSink,
  type PodKey,
  type StartPreparation,
  type SyncOutcome,
  type UploadSink,
} from "./cluster-driver.js";
import { refusedStart } from "../reconcile/start-policy.js";
import { probeDefaults } from "../../shared/healthchecks/probe-defaults.js";

interface SimulatedContainer {
  uid: string;
  startedAt: Date;
  /** The desired state it was last synced to, whose generation its reports carry. */
  desired: DesiredPod;
  /** What it says of readiness: true, or false until its readiness probe's initial delay has passed. */
  ready: boolean;
  readyTimer?: NodeJS.Timeout;
}

/**
 * When a simulated pod with a readiness probe reports ready: once the probe's
 * initial delay has passed (no probe runs), or never, so tests can keep a pod
 * out of the edge for good.
 */
export type SimulatedReadiness = "initial_delay" | "never";

/**
 * A cluster where no container runs: pods pass SPAWNING then AVAILABLE after
 * `startupMs`, stop, restart and disappear on request, and every log line
 * says the pod is simulated. No probe runs either: a pod with a readiness
 * probe reports ready as `readiness` says, and says that nothing was probed.
 * The embedded default when no kubeconfig is given. Its state lives in
 * memory, so simulated pods start afresh with the agent.
 */
export class SimulatedDriver implements ClusterDriver {
  readonly name = "simulated";
  private readonly containers = new Map<string, SimulatedContainer>();
  /** Generation last reported per pod, so a repeated sync reports nothing new. */
  private readonly reported = new Map<string, { uid: string; generation: bigint }>();

  constructor(
    private readonly sink: ObservationSink,
    private readonly startupMs = 300,
    private readonly prepareStart: StartPreparation = async () => null,
    private readonly readiness: SimulatedReadiness = "initial_delay",
  ) {}

  async apply(desired: DesiredPod): Promise<SyncOutcome> {
    const key: PodKey = { tenantId: desired.tenantId, podId: desired.podId };
    const id = keyString(key);
    const running = this.containers.get(id);
    if (running && running.uid !== desired.uid) this.drop(id);
    const current = this.containers.get(id);

    if (desired.statusRequested === StatusRequested.ON) {
      if (current) {
        current.desired = desired;
        return this.confirm(desired, PodStatus.AVAILABLE);
      }
      const refused = refusedStart(desired, null) ?? (await this.prepareStart(desired));
      if (refused) {
        this.report(desired, PodStatus.ERROR, `[simulated] Refused to start the pod: ${refused}.`);
        return { kind: "terminal", reason: refused };
      }
      this.report(desired, PodStatus.SPAWNING, `[simulated] Creating pod ${desired.objectName} from image ${desired.image}; no container runs in the simulated cluster.`);
      await new Promise((resolve) => setTimeout(resolve, this.startupMs));
      const startedAt = new Date();
      const readiness = desired.healthchecks?.readiness;
      const container: SimulatedContainer = { uid: desired.uid, startedAt, desired, ready: !readiness };
      this.containers.set(id, container);
      this.sink.logs(key, desired.uid, simulatedLog(desired, startedAt), true);
      this.report(desired, PodStatus.AVAILABLE, "[simulated] Pod is running.", startedAt);
      if (readiness) this.awaitReadiness(id, container, readiness.initialDelaySeconds ?? probeDefaults.initialDelaySeconds);
      return { kind: "done" };
    }
    if (current) {
      const restarting = desired.statusRequested === StatusRequested.RESTART;
      this.report(desired, restarting ? PodStatus.RESTARTING : PodStatus.SHUTTING_DOWN, `[simulated] ${restarting ? "Restarting" : "Stopping"} pod.`);
      this.drop(id);
      this.sink.logs(key, desired.uid, `[simulated] ${new Date().toISOString()} container stopped\n`, false);
      this.report(desired, PodStatus.STOPPED, "[simulated] Pod stopped.");
      return { kind: "done" };
    }
    return this.confirm(desired, PodStatus.STOPPED);
  }

  async remove(key: PodKey): Promise<SyncOutcome> {
    this.drop(keyString(key));
    this.reported.delete(keyString(key));
    return { kind: "done" };
  }

  async list(): Promise<PodKey[]> {
    return [...this.containers.keys()].map(parseKey);
  }

  async close(): Promise<void> {
    for (const id of [...this.containers.keys()]) this.drop(id);
  }

  /** Nothing is stored in a simulated pod: the bytes are counted and dropped. */
  upload(key: PodKey, uid: string, destPath: string): UploadSink {
    let bytes = 0;
    const running = this.containers.get(keyString(key))?.uid === uid;
    const input = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        callback();
      },
    });
    const done = new Promise<CommandOutcome>((resolve) => {
      input.once("finish", () =>
        resolve(running ? { output: `[simulated] ${bytes} bytes for ${destPath} were received and dropped\n`, exitCode: 0 } : { output: "", exitCode: -1, error: "the pod is not running" }),
      );
      input.once("error", (error) => resolve({ output: "", exitCode: -1, error: error.message }));
    });
    return { input, done };
  }

  /** No container runs, so there is nothing to read from one. */
  execStream(): null {
    return null;
  }

  /** Nothing runs in a simulated pod: the command is echoed back, exit code 0. */
  async exec(key: PodKey, uid: string, argv: string[]): Promise<CommandOutcome> {
    const container = this.containers.get(keyString(key));
    if (!container || container.uid !== uid) return { output: "", exitCode: -1, error: "the pod is not running" };
    return { output: `[simulated] ${JSON.stringify(argv)} was not run: no container runs in the simulated cluster\n`, exitCode: 0 };
  }

  /** Reports ready once the readiness probe's initial delay has passed, or says it never will. */
  private awaitReadiness(id: string, container: SimulatedContainer, initialDelaySeconds: number): void {
    const noProbe = "no container runs in the simulated cluster.";
    if (this.readiness === "never") {
      this.report(container.desired, PodStatus.AVAILABLE, `[simulated] Never reported ready (PODS_SIMULATED_READINESS=never); no probe runs: ${noProbe}`);
      return;
    }
    container.readyTimer = setTimeout(() => {
      if (this.containers.get(id) !== container) return;
      container.ready = true;
      this.report(container.desired, PodStatus.AVAILABLE, `[simulated] Reported ready after the readiness probe's initial delay of ${initialDelaySeconds} s; no probe ran: ${noProbe}`);
    }, initialDelaySeconds * 1000);
  }

  private drop(id: string): void {
    clearTimeout(this.containers.get(id)?.readyTimer);
    this.containers.delete(id);
  }

  /** Reports the unchanged state once for a generation the control plane has not heard about. */
  private confirm(desired: DesiredPod, status: PodStatus): SyncOutcome {
    const last = this.reported.get(keyString(desired));
    if (!last || last.uid !== desired.uid || last.generation < desired.generation) this.report(desired, status, "");
    return { kind: "done" };
  }

  /** What the pod's status_container says: its phase, that it is simulated, and readiness while it runs. */
  private containerSummary(key: PodKey, status: PodStatus, desired: DesiredPod): Record<string, string | number | boolean> {
    const summary: Record<string, string | number | boolean> = { phase: PodStatus[status], simulated: true };
    const container = this.containers.get(keyString(key));
    if (status === PodStatus.AVAILABLE && container) summary.ready = container.ready;
    if (desired.healthchecks && (desired.healthchecks.liveness || desired.healthchecks.readiness || desired.healthchecks.startup)) {
      summary.probes = "not run: no container runs in the simulated cluster";
    }
    return summary;
  }

  private report(desired: DesiredPod, status: PodStatus, event: string, instanceStartedAt?: Date): void {
    const key = { tenantId: desired.tenantId, podId: desired.podId };
    this.reported.set(keyString(key), { uid: desired.uid, generation: desired.generation });
    this.sink.report({
      key,
      uid: desired.uid,
      generation: desired.generation,
      status,
      statusContainer: this.containerSummary(key, status, desired),
      event,
      instanceStartedAt,
    });
  }
}

function simulatedLog(desired: DesiredPod, startedAt: Date): string {
  const ports = Object.entries(desired.networking)
    .map(([key, n]) => `${key}=${n.protocol ?? "http"}:${n.port ?? 5000}`)
    .join(", ");
  return [
    `[simulated] ${startedAt.toISOString()} pod ${desired.podId} is simulated: no container runs.`,
    `[simulated] image ${desired.image}${desired.command.length ? `, command ${JSON.stringify(desired.command)}` : ""}`,
    `[simulated] ports: ${ports || "none"}`,
    "",
  ].join("\n");
}
