import { PassThrough, type Readable } from "node:stream";
import type { CoreV1Event, Informer, KubernetesObject, ObjectCache, V1Pod } from "@kubernetes/client-node";
import type { DesiredPod } from "../../../gen/tapis/pods/v1/agent_service_pb.js";
import { PodStatus, StatusRequested } from "../../../gen/tapis/pods/v1/pod_pb.js";
import type { Logger } from "../../../shared/logging/logger.js";
import {
  keyString,
  parseKey,
  type ClusterDriver,
  type CommandOutcome,
  type CommandStream,
  type InteractiveCommand,
  type ObservationSink,
  type PodKey,
  type SessionCommand,
  type StartPreparation,
  type SyncOutcome,
  type UploadSink,
} from "../cluster-driver.js";
import { refusedStart } from "../../reconcile/start-policy.js";
import { CappedOutput } from "./capped-output.js";
import type { KubernetesClusterConfig } from "./cluster-config.js";
import { KubernetesApiError, type KubernetesApi, type ObjectKindName, type OwnedKindName } from "./kubernetes-api.js";
import { LogFollower } from "./log-follower.js";
import { drifted } from "./object-drift.js";
import { OwnedObjects } from "./owned-objects.js";
import { buildPodObjects, containerName, keyOfObject, labelKeys, managedBy, podObjectNames, podSelector, type PodObjectNames } from "./pod-objects.js";
import { seenStatus } from "./pod-status.js";
import { defaultWatchRetry, PodWatch, type WatchRetry } from "./pod-watch.js";

const managedSelector = `${labelKeys.managedBy}=${managedBy}`;
const maxExecOutputBytes = 1024 * 1024;
/** Large uploads into a slow container can take long; this only catches a stuck one. */
const uploadTimeoutMs = 6 * 3600 * 1000;
const objectKinds: ObjectKindName[] = ["Pod", "Service", "Secret", "ConfigMap"];
const notRunning: CommandOutcome = { output: "", exitCode: -1, error: "the pod is not running" };
/** The names under which the agent reports its watches' health. */
const watchPart = "kubernetes pod watch";
const eventWatchPart = "kubernetes event watch";
/** What the kubelet records when a liveness or startup probe fails (event reason Unhealthy). */
const probeFailure = /^(Liveness|Startup) probe failed\b/;

export interface KubernetesDriverOptions {
  stopGraceSeconds: number;
  /** Backoff of restarts of a failed pod watch. */
  watchRetry?: WatchRetry;
  /** Readies the cluster's storage for a pod just before its Kubernetes pod is created. */
  prepareStart?: StartPreparation;
}

/** What the driver last acted on for a pod: the generation its reports carry. */
interface Applied {
  uid: string;
  generation: bigint;
  statusRequested: StatusRequested;
  /** The Secret, ConfigMap and Service last applied for it while it runs (null: it has none of that kind). */
  owned?: Record<OwnedKindName, KubernetesObject | null>;
}

/**
 * Runs pods on a real cluster. `apply` makes the objects match the desired
 * state (server-side apply, one field manager) and starts or stops the
 * Kubernetes Pod; what happens next is observed through a watch on the
 * managed pods, never by polling, and reported to the control plane.
 */
export class KubernetesDriver implements ClusterDriver {
  readonly name = "kubernetes";
  private readonly applied = new Map<string, Applied>();
  private readonly lastReport = new Map<string, string>();
  /** Container restarts last seen per pod, to tell when another one happened. */
  private readonly restarts = new Map<string, number>();
  /** Whether the container was ready when last seen, for pods with a readiness probe. */
  private readonly readiness = new Map<string, boolean>();
  /** The latest failure of a liveness or startup probe per pod, from the kubelet's events. */
  private readonly probeFailures = new Map<string, string>();
  /** The Kubernetes pod (its uid) what is kept above was seen of. */
  private readonly instanceOf = new Map<string, string | undefined>();
  private eventWatch: PodWatch | undefined;
  /** Events older than this were recorded before this driver ran, and reported by its predecessor. */
  private startedAt = new Date();
  private readonly followers = new Map<string, LogFollower>();
  private informer: (Informer<V1Pod> & ObjectCache<V1Pod>) | undefined;
  private watch: PodWatch | undefined;
  private owned: OwnedObjects | undefined;

  constructor(
    private readonly api: KubernetesApi,
    private readonly config: KubernetesClusterConfig,
    private readonly sink: ObservationSink,
    private readonly logger: Logger,
    private readonly options: KubernetesDriverOptions = { stopGraceSeconds: 30 },
  ) {}

  /**
   * Starts watching the managed pods; resolves once the first listing is in,
   * or once it failed: the watch then keeps retrying and the agent reports
   * itself unhealthy until it is back.
   */
  async start(): Promise<void> {
    const informer = this.api.podInformer(managedSelector);
    informer.on("add", (pod) => this.seen(pod));
    informer.on("update", (pod) => this.seen(pod));
    informer.on("delete", (pod) => this.gone(pod));
    this.informer = informer;
    this.watch = new PodWatch(
      informer,
      this.options.watchRetry ?? defaultWatchRetry,
      {
        down: (problem) => this.sink.health(watchPart, problem),
        recovered: () => {
          this.sink.health(watchPart, null);
          // What happened while blind may never come as an event: look at every pod again.
          for (const key of this.knownKeys()) this.sink.requeue(key);
        },
      },
      this.logger,
    );
    this.startedAt = new Date();
    await this.watch.start();
    this.owned = new OwnedObjects(
      this.api,
      managedSelector,
      this.options.watchRetry ?? defaultWatchRetry,
      {
        health: (part, problem) => this.sink.health(part, problem),
        changed: (kind, object, gone) => this.ownedChanged(kind, object, gone),
        recovered: () => {
          for (const key of this.knownKeys()) this.sink.requeue(key);
        },
      },
      this.logger,
    );
    await this.owned.start();
    await this.watchEvents();
  }

  /**
   * Watches the namespace's events for the kubelet's reports of failing
   * liveness and startup probes, which a Pod's status does not hold: only
   * the restart that follows shows there. A failure of this watch leaves
   * pods running and reported, and the agent unhealthy until it is back.
   */
  private async watchEvents(): Promise<void> {
    const informer = this.api.eventInformer();
    informer.on("add", (event) => this.probeEvent(event));
    informer.on("update", (event) => this.probeEvent(event));
    this.eventWatch = new PodWatch(
      informer,
      this.options.watchRetry ?? defaultWatchRetry,
      { down: (problem) => this.sink.health(eventWatchPart, problem), recovered: () => this.sink.health(eventWatchPart, null) },
      this.logger,
      eventWatchPart,
    );
    await this.eventWatch.start();
  }

  /** A failing liveness or startup probe of a managed pod: shown in its status and action log. */
  private probeEvent(event: CoreV1Event): void {
    const message = (event.message ?? "").trim().replace(/\.+$/, "");
    if (event.involvedObject?.kind !== "Pod" || event.reason !== "Unhealthy" || !probeFailure.test(message)) return;
    const at = event.lastTimestamp ?? event.eventTime ?? event.metadata?.creationTimestamp;
    // Event times have whole seconds: one of the second this driver started in may be new.
    if (at && new Date(at).getTime() < Math.floor(this.startedAt.getTime() / 1000) * 1000) return;
    const pod = this.informer?.list().find((p) => p.metadata?.name === event.involvedObject.name && (!event.involvedObject.uid || p.metadata?.uid === event.involvedObject.uid));
    const key = pod ? keyOfObject(pod) : null;
    if (!pod || !key) return;
    const id = keyString(key);
    if (this.probeFailures.get(id) === message) return;
    this.probeFailures.set(id, message);
    this.seen(pod, `${message}.`);
  }

  /**
   * Makes the cluster match `desired`. An object the API server refuses for
   * good puts the pod in ERROR with the server's reason and ends `terminal`;
   * any other failure is thrown, to be retried.
   */
  async apply(desired: DesiredPod): Promise<SyncOutcome> {
    const key = keyString(desired);
    this.applied.set(key, { uid: desired.uid, generation: desired.generation, statusRequested: desired.statusRequested });
    try {
      return await this.converge(desired, key);
    } catch (error) {
      if (!(error instanceof KubernetesApiError && error.refusedForGood)) throw error;
      const reason = `Kubernetes refused ${error.describe()}`;
      this.report(key, PodStatus.ERROR, reason);
      return { kind: "terminal", reason };
    }
  }

  private async converge(desired: DesiredPod, key: string): Promise<SyncOutcome> {
    const existing = this.podOf(desired);
    if (existing && existing.metadata?.labels?.[labelKeys.uid] !== desired.uid) {
      // A pod of an earlier incarnation under the same id: clear it away first.
      await this.api.delete("Pod", existing.metadata!.name!, 0);
      return { kind: "requeue", afterMs: 500 };
    }
    if (desired.statusRequested === StatusRequested.ON) return this.run(desired, key, existing);
    if (existing && !existing.metadata?.deletionTimestamp) {
      // Reported before acting: the watch may report the outcome before the call returns.
      const restarting = desired.statusRequested === StatusRequested.RESTART;
      this.report(key, restarting ? PodStatus.RESTARTING : PodStatus.SHUTTING_DOWN, restarting ? "Restarting: removing the running pod." : "Stopping: removing the pod.");
      await this.api.delete("Pod", existing.metadata!.name!, this.options.stopGraceSeconds);
    } else if (!existing) {
      this.report(key, PodStatus.STOPPED, "");
    }
    return { kind: "done" };
  }

  async remove(key: PodKey): Promise<SyncOutcome> {
    const id = keyString(key);
    // Its objects are going: their deletions are no drift to repair.
    const applied = this.applied.get(id);
    if (applied) applied.owned = undefined;
    try {
      for (const kind of objectKinds) {
        for (const object of await this.objectsOf(kind, key)) await this.api.delete(kind, object.metadata!.name!, 0);
      }
    } catch (error) {
      if (!(error instanceof KubernetesApiError && error.refusedForGood)) throw error;
      return { kind: "terminal", reason: `Kubernetes refused to remove the objects of ${id}: ${error.describe()}` };
    }
    this.applied.delete(id);
    this.lastReport.delete(id);
    this.forgetInstance(id);
    this.followers.get(id)?.stop();
    this.followers.delete(id);
    return { kind: "done" };
  }

  async list(): Promise<PodKey[]> {
    const keys = new Map<string, PodKey>();
    for (const kind of objectKinds) {
      for (const object of await this.api.list(kind, managedSelector)) {
        const key = keyOfObject(object);
        if (key) keys.set(keyString(key), key);
      }
    }
    return [...keys.values()];
  }

  async exec(key: PodKey, uid: string, argv: string[], timeoutMs: number): Promise<CommandOutcome> {
    const podName = this.runningPodName(key, uid);
    if (!podName) return notRunning;
    return this.runInContainer(podName, argv, new CappedOutput(maxExecOutputBytes), null, timeoutMs);
  }

  /** Streams into `cat` in the container, so the file never sits whole in memory. */
  upload(key: PodKey, uid: string, destPath: string): UploadSink {
    const input = new PassThrough({ highWaterMark: 1024 * 1024 });
    const podName = this.runningPodName(key, uid);
    if (!podName) {
      input.resume();
      return { input, done: Promise.resolve(notRunning) };
    }
    const done = this.runInContainer(podName, ["sh", "-c", 'cat > "$0"', destPath], new CappedOutput(64 * 1024), input, uploadTimeoutMs);
    return { input, done };
  }

  async openSession(key: PodKey, uid: string, command: SessionCommand): Promise<InteractiveCommand> {
    const podName = this.runningPodName(key, uid);
    if (!podName) throw new Error("the pod is not running");
    return this.api.openSession(podName, containerName, command);
  }

  /** Standard output flows at the pace it is read: the connection to the API server pauses meanwhile. */
  execStream(key: PodKey, uid: string, argv: string[], timeoutMs: number): CommandStream {
    const stdout = new PassThrough({ highWaterMark: 1024 * 1024 });
    const podName = this.runningPodName(key, uid);
    if (!podName) {
      stdout.end();
      return { stdout, done: Promise.resolve(notRunning) };
    }
    const errors = new CappedOutput(64 * 1024);
    const done = this.api.execStreaming(podName, containerName, argv, stdout, errors, timeoutMs).then(
      (outcome): CommandOutcome => ({ output: errors.text(), exitCode: outcome.exitCode, ...(outcome.failure ? { error: outcome.failure } : {}) }),
      (error: unknown): CommandOutcome => {
        // Nothing more comes: whoever reads learns why from `done`.
        if (!stdout.writableEnded) stdout.end();
        return { output: errors.text(), exitCode: -1, error: error instanceof Error ? error.message : String(error) };
      },
    );
    return { stdout, done };
  }

  async close(): Promise<void> {
    await this.watch?.stop();
    await this.owned?.stop();
    await this.eventWatch?.stop();
    for (const follower of this.followers.values()) follower.stop();
    this.followers.clear();
    this.api.close();
  }

  private async run(desired: DesiredPod, key: string, existing: V1Pod | undefined): Promise<SyncOutcome> {
    if (existing?.metadata?.deletionTimestamp) return { kind: "requeue", afterMs: 1_000 };
    const objects = buildPodObjects(desired, this.config);
    const names = podObjectNames(desired);
    const applied = this.applied.get(key);
    if (applied) applied.owned = { Secret: objects.secret, ConfigMap: objects.configMap, Service: objects.service };
    // Independent of each other: sent at once, so a new pod waits for one round trip before its Pod.
    await settleAll([
      this.put("Secret", objects.secret),
      objects.configMap ? this.put("ConfigMap", objects.configMap) : this.removeHeld("ConfigMap", names.configMap),
      objects.service ? this.put("Service", objects.service) : this.removeHeld("Service", names.service),
    ]);
    if (existing) {
      // The pod may have changed, or gone, while the objects were applied: report what the cache holds now.
      const current = this.podOf(desired);
      if (current) this.seen(current);
      return { kind: "done" };
    }
    const refused = refusedStart(desired, this.config.storageClaim) ?? (await this.options.prepareStart?.(desired)) ?? null;
    if (refused) {
      this.report(key, PodStatus.ERROR, `Refused to start the pod: ${refused}.`);
      return { kind: "terminal", reason: refused };
    }
    // No pod runs, so nothing can use objects of this pod under other names any more.
    await this.removeStale(desired, names);
    // Reported before acting: the watch may see the pod running before the call returns.
    this.report(key, PodStatus.SPAWNING, `Creating pod ${names.pod} from image ${desired.image}.`);
    await this.api.apply(objects.pod);
    return { kind: "done" };
  }

  /** Applies `object` unless the cluster holds it as wanted already. */
  private async put(kind: OwnedKindName, object: KubernetesObject): Promise<void> {
    if (drifted(object, this.owned?.held(kind, object.metadata!.name!))) await this.api.apply(object);
  }

  /** Deletes the object of `kind` named `name`, unless the cache knows there is none. */
  private async removeHeld(kind: OwnedKindName, name: string): Promise<void> {
    if (this.owned?.current(kind) && !this.owned.held(kind, name)) return;
    await this.api.delete(kind, name);
  }

  /** Deletes the pod's Secrets, ConfigMaps and Services named otherwise, as earlier agents named them. */
  private async removeStale(key: PodKey, names: PodObjectNames): Promise<void> {
    const current: Partial<Record<ObjectKindName, string>> = { Secret: names.secret, ConfigMap: names.configMap, Service: names.service };
    for (const kind of ["Secret", "ConfigMap", "Service"] as const) {
      for (const object of this.owned?.ofPod(kind, key) ?? (await this.objectsOf(kind, key))) {
        if (object.metadata!.name !== current[kind]) await this.api.delete(kind, object.metadata!.name!, 0);
      }
    }
  }

  /** The objects of one kind that belong to the pod `key`. */
  private async objectsOf(kind: ObjectKindName, key: PodKey): Promise<KubernetesObject[]> {
    return (await this.api.list(kind, podSelector(key))).filter((object) => sameKey(keyOfObject(object), key));
  }

  /**
   * A Secret, ConfigMap or Service of a running pod changed or went away:
   * the pod is synced again when the cluster no longer holds what was last
   * applied (someone changed or deleted it, or it is one the pod does not
   * want). The driver's own applies leave the object as wanted and cost
   * nothing more.
   */
  private ownedChanged(kind: OwnedKindName, object: KubernetesObject, gone: boolean): void {
    const key = keyOfObject(object);
    const applied = key ? this.applied.get(keyString(key)) : undefined;
    if (!key || !applied?.owned || applied.statusRequested !== StatusRequested.ON) return;
    const wanted = applied.owned[kind];
    const isWanted = wanted?.metadata?.name === object.metadata?.name;
    if (gone ? isWanted : !isWanted || drifted(wanted!, object)) this.sink.requeue(key);
  }

  /** Every pod the watch knows of or this driver applied. */
  private knownKeys(): PodKey[] {
    const keys = new Map<string, PodKey>();
    for (const pod of this.informer?.list() ?? []) {
      const key = keyOfObject(pod);
      if (key) keys.set(keyString(key), key);
    }
    for (const id of this.applied.keys()) keys.set(id, parseKey(id));
    return [...keys.values()];
  }

  private podOf(key: PodKey): V1Pod | undefined {
    return this.informer?.list().find((pod) => sameKey(keyOfObject(pod), key));
  }

  /** The Kubernetes pod of incarnation `uid` when its container runs. */
  private runningPodName(key: PodKey, uid: string): string | undefined {
    const pod = this.podOf(key);
    return pod?.metadata?.labels?.[labelKeys.uid] === uid && pod.status?.phase === "Running" ? pod.metadata.name : undefined;
  }

  private async runInContainer(podName: string, argv: string[], output: CappedOutput, input: Readable | null, timeoutMs: number): Promise<CommandOutcome> {
    try {
      const outcome = await this.api.exec(podName, containerName, argv, output, input, timeoutMs);
      return { output: output.text(), exitCode: outcome.exitCode, ...(outcome.failure ? { error: outcome.failure } : {}) };
    } catch (error) {
      return { output: output.text(), exitCode: -1, error: error instanceof Error ? error.message : String(error) };
    }
  }

  /**
   * A managed pod was added or changed: report its status (with `event`, a
   * line for its action log, if any), follow its logs.
   */
  private seen(pod: V1Pod, event = ""): void {
    const key = keyOfObject(pod);
    if (!key) return;
    const id = keyString(key);
    const applied = this.applied.get(id);
    if (!applied || pod.metadata?.labels?.[labelKeys.uid] !== applied.uid) return;
    if (this.instanceOf.get(id) !== pod.metadata?.uid) this.forgetInstance(id);
    this.instanceOf.set(id, pod.metadata?.uid);
    const seen = seenStatus(pod);
    const restarted = seen.restarts > (this.restarts.get(id) ?? 0) ? `Container restarted (${seen.restarts} restarts so far).` : "";
    this.restarts.set(id, seen.restarts);
    const container: Record<string, string | number | boolean> = { ...seen.container, ...(this.probeFailures.has(id) ? { last_probe_failure: this.probeFailures.get(id)! } : {}) };
    const lines = [event, restarted, this.readinessChange(id, pod, seen.status, container.ready === true), seen.reason];
    this.report(id, seen.status, lines.filter(Boolean).join(" "), seen.startedAt, container);
    if (pod.status?.phase === "Running" && !pod.metadata?.deletionTimestamp) this.follow(id, pod, applied);
  }

  /** A line when the readiness of a running container with a readiness probe changed (or is first seen). */
  private readinessChange(id: string, pod: V1Pod, status: PodStatus, ready: boolean): string {
    const probed = Boolean(pod.spec?.containers.find((c) => c.name === containerName)?.readinessProbe);
    if (status !== PodStatus.AVAILABLE || !probed) {
      this.readiness.delete(id);
      return "";
    }
    if (this.readiness.get(id) === ready) return "";
    this.readiness.set(id, ready);
    return ready ? "Container ready: its readiness probe passes." : "Container not ready: its readiness probe does not pass.";
  }

  /** Forgets what was seen of the pod's previous Kubernetes pod (restarts, readiness, probe failures). */
  private forgetInstance(id: string): void {
    this.restarts.delete(id);
    this.readiness.delete(id);
    this.probeFailures.delete(id);
    this.instanceOf.delete(id);
  }

  /** A managed pod disappeared: stopped as asked, or lost and to be recreated. */
  private gone(pod: V1Pod): void {
    const key = keyOfObject(pod);
    if (!key) return;
    const id = keyString(key);
    this.followers.get(id)?.stop();
    this.followers.delete(id);
    const applied = this.applied.get(id);
    if (!applied || pod.metadata?.labels?.[labelKeys.uid] !== applied.uid) return;
    if (applied.statusRequested === StatusRequested.ON) {
      this.report(id, PodStatus.SPAWNING, "The pod disappeared from the cluster; creating it again.");
      this.sink.requeue(key);
    } else {
      this.report(id, PodStatus.STOPPED, "Pod removed.");
    }
  }

  private follow(id: string, pod: V1Pod, applied: Applied): void {
    if (this.followers.has(id)) return;
    const key = keyOfObject(pod)!;
    const follower: LogFollower = new LogFollower(
      this.api,
      {
        podName: pod.metadata!.name!,
        container: containerName,
        write: (text, reset) => this.sink.logs(key, applied.uid, text, reset),
        stillRunning: (): boolean => this.followers.get(id) === follower,
      },
      this.logger,
    );
    this.followers.set(id, follower);
    follower.start();
  }

  /** Sends an observation unless it repeats the last one for this generation. */
  private report(id: string, status: PodStatus, event: string, startedAt?: Date | null, container?: Record<string, string | number | boolean>): void {
    const applied = this.applied.get(id);
    if (!applied) return;
    const signature = `${applied.uid}/${applied.generation}/${status}/${event}/${container?.ready ?? ""}/${container?.last_probe_failure ?? ""}/${container?.restart_count ?? ""}`;
    if (this.lastReport.get(id) === signature) return;
    this.lastReport.set(id, signature);
    this.sink.report({
      key: parseKey(id),
      uid: applied.uid,
      generation: applied.generation,
      status,
      event,
      statusContainer: container,
      instanceStartedAt: startedAt ?? undefined,
    });
  }
}

/** Waits for every call; then throws the first failure, if any (Promise.all would leave the others running unwatched). */
async function settleAll(calls: Promise<void>[]): Promise<void> {
  const failure = (await Promise.allSettled(calls)).find((outcome) => outcome.status === "rejected");
  if (failure) throw failure.reason;
}

function sameKey(a: PodKey | null, b: PodKey): boolean {
  return a !== null && a.tenantId === b.tenantId && a.podId === b.podId;
}
