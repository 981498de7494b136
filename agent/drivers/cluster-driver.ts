import type { Readable, Writable } from "node:stream";
import type { DesiredPod } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import type { PodStatus } from "../../gen/tapis/pods/v1/pod_pb.js";

/** Identifies a pod across control plane and cluster. */
export interface PodKey {
  tenantId: string;
  podId: string;
}

export function keyString(key: PodKey): string {
  return `${key.tenantId}/${key.podId}`;
}

export function parseKey(value: string): PodKey {
  const at = value.indexOf("/");
  return { tenantId: value.slice(0, at), podId: value.slice(at + 1) };
}

/** What a driver saw happen to a pod, for the control plane. */
export interface PodReport {
  key: PodKey;
  uid: string;
  generation: bigint;
  status: PodStatus;
  statusContainer?: Record<string, string | number | boolean>;
  /** A line for the pod's action log. */
  event?: string;
  instanceStartedAt?: Date;
}

/** Where drivers send what they observe. */
export interface ObservationSink {
  report(report: PodReport): void;
  logs(key: PodKey, uid: string, text: string, reset: boolean): void;
  /** The cluster drifted from what was applied (a pod vanished): sync the pod again. */
  requeue(key: PodKey): void;
  /**
   * A part of the driver stopped working (`problem` says what, since when
   * and why) or, with null, works again; the agent reports itself unhealthy
   * while any part has a problem.
   */
  health(part: string, problem: string | null): void;
}

/** What one command run in a pod's container gave. */
export interface CommandOutcome {
  /** stdout and stderr, interleaved as they came (truncated past a limit). */
  output: string;
  exitCode: number;
  /** Set when the command could not run or did not finish. */
  error?: string;
}

/** Where an upload's bytes go: write them to `input`, end it, then `done` says how it went. */
export interface UploadSink {
  input: Writable;
  done: Promise<CommandOutcome>;
}

/**
 * A command whose standard output is handed on as it comes: reading slower
 * holds the command back, destroying `stdout` stops it. `done` settles once
 * it has ended, with its exit code and its standard error (capped) as
 * `output`.
 */
export interface CommandStream {
  stdout: Readable;
  done: Promise<CommandOutcome>;
}

/**
 * Readies what a pod needs besides the cluster's API just before its
 * container is created (its mounts' folders and config files in the
 * cluster's storage); resolves with why it must not start, or null.
 */
export type StartPreparation = (desired: DesiredPod) => Promise<string | null>;

/**
 * What a sync achieved: finished; asks to be run again later; or refused for
 * good, so running it again unchanged cannot help (`reason` says why; the
 * pod's next change is tried again). A thrown error is a failure to retry.
 */
export type SyncOutcome = { kind: "done" } | { kind: "requeue"; afterMs: number } | { kind: "terminal"; reason: string };

/**
 * Access to one cluster. `apply` and `remove` must be idempotent: running
 * them again with the same input changes nothing.
 */
export interface ClusterDriver {
  readonly name: string;
  /** Make the cluster match `desired`, reporting each status change to the sink. */
  apply(desired: DesiredPod): Promise<SyncOutcome>;
  /** Remove everything the cluster holds for `key`. */
  remove(key: PodKey): Promise<SyncOutcome>;
  /** Every pod the cluster holds objects for (to find ones nobody wants). */
  list(): Promise<PodKey[]>;
  /** Runs one command in the running container of the pod incarnation `uid`. */
  exec(key: PodKey, uid: string, argv: string[], timeoutMs: number): Promise<CommandOutcome>;
  /** Opens a file at `destPath` in the running container for writing. */
  upload(key: PodKey, uid: string, destPath: string): UploadSink;
  /**
   * Runs one command in the running container of the pod incarnation `uid`
   * for what it writes (reading a pod's files); null in a cluster where no
   * container runs (simulated).
   */
  execStream(key: PodKey, uid: string, argv: string[], timeoutMs: number): CommandStream | null;
  close(): Promise<void>;
}
