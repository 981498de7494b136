import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import {
  AgentService,
  type AgentHealthSchema,
  type ExecRequest,
  type ExecSessionInput,
  type SessionRequestSchema,
  type StorageRequest,
  type UploadData,
  type UploadProgress,
} from "../../gen/tapis/pods/v1/agent_service_pb.js";
import type { Logger } from "../../shared/logging/logger.js";
import { AsyncQueue } from "../../shared/async/async-queue.js";

type Payload = MessageInitShape<typeof SessionRequestSchema>["payload"];
type Outgoing = MessageInitShape<typeof SessionRequestSchema>;
type Health = MessageInitShape<typeof AgentHealthSchema>;

/**
 * Reports kept while the control plane is away. Past this, the oldest log
 * chunks go first, then the oldest observations: the next resync restores
 * the state they carried.
 */
const maxUnacknowledged = 10_000;

export interface SessionOptions {
  clusterId: string;
  agentId: string;
  version: string;
  /** Handle requests the control plane routes to this agent. */
  onExec(request: ExecRequest): void;
  onUpload(piece: UploadData): void;
  onStorage(request: StorageRequest): void;
  /** How far the control plane has passed a download on. */
  onDownloadProgress(progress: UploadProgress): void;
  /** Input of an interactive exec session (the first opens it). */
  onExecSession(input: ExecSessionInput): void;
  /** A stream with the control plane ended: what travels only on a stream (downloads, exec sessions) ended with it. */
  onStreamEnded(): void;
  logger: Logger;
}

/**
 * The agent's half of AgentService.Session. Reports are numbered and kept
 * until the control plane acknowledges them; if the stream breaks, the agent
 * reconnects with backoff and sends everything unacknowledged again, in
 * order, so no observation is lost to a restart of either side.
 */
export class ControlPlaneSession {
  private sequence = 0n;
  private readonly unacknowledged: { sequence: bigint; payload: Payload }[] = [];
  private outgoing: AsyncQueue<Outgoing> | null = null;
  private stopped = false;
  /** Ends the open stream at stop, even when the control plane hangs and never closes it. */
  private readonly stopping = new AbortController();
  private loop: Promise<void> | null = null;
  private drainedWaiters: (() => void)[] = [];
  private dropping = false;
  /** The agent's latest health, told after every hello; null until it first changes (healthy). */
  private health: Health | null = null;
  /** Null while a session is open; else why none is. */
  private notOpen: string | null = "not connected yet";

  constructor(
    private readonly client: Client<typeof AgentService>,
    private readonly options: SessionOptions,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  /** Queues a report; it reaches the control plane even across reconnects. */
  send(payload: Payload): void {
    const entry = { sequence: ++this.sequence, payload };
    this.unacknowledged.push(entry);
    if (this.unacknowledged.length > maxUnacknowledged) this.dropOldest();
    this.outgoing?.push({ sequence: entry.sequence, payload });
  }

  /**
   * Sends without numbering or keeping it (a download piece): it travels on
   * the open stream or not at all, and a download ends with its stream.
   * False when no stream is open.
   */
  stream(payload: Payload): boolean {
    if (!this.outgoing) return false;
    this.outgoing.push({ sequence: 0n, payload });
    return true;
  }

  /**
   * Tells the control plane how the agent is doing, now and after every
   * reconnect. State rather than a report: not numbered, only the latest kept.
   */
  setHealth(health: Health): void {
    this.health = health;
    this.outgoing?.push({ sequence: 0n, payload: { case: "health", value: health } });
  }

  /** Reports sent and not yet acknowledged. */
  get unacknowledgedCount(): number {
    return this.unacknowledged.length;
  }

  /** Resolves when every report sent so far is acknowledged. */
  drained(): Promise<void> {
    if (this.unacknowledged.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainedWaiters.push(resolve));
  }

  /** Half-closes the session, lets the control plane finish it, and cuts it after `graceMs` if it does not. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopped = true;
    this.outgoing?.end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.loop, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    this.stopping.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      const queue = new AsyncQueue<Outgoing>();
      this.outgoing = queue;
      queue.push({ sequence: 0n, payload: { case: "hello", value: { clusterId: this.options.clusterId, agentId: this.options.agentId, version: this.options.version } } });
      if (this.health) queue.push({ sequence: 0n, payload: { case: "health", value: this.health } });
      for (const entry of this.unacknowledged) queue.push({ sequence: entry.sequence, payload: entry.payload });
      try {
        for await (const response of this.client.session(queue, { signal: this.stopping.signal })) {
          failures = 0;
          if (response.payload.case === "welcome") {
            this.notOpen = null;
            this.options.logger.debug("agent session open", { clusterId: response.payload.value.clusterId });
          } else if (response.payload.case === "exec") {
            this.options.onExec(response.payload.value);
          } else if (response.payload.case === "upload") {
            this.options.onUpload(response.payload.value);
          } else if (response.payload.case === "storage") {
            this.options.onStorage(response.payload.value);
          } else if (response.payload.case === "downloadProgress") {
            this.options.onDownloadProgress(response.payload.value);
          } else if (response.payload.case === "execSessionInput") {
            this.options.onExecSession(response.payload.value);
          } else if (response.payload.case === "ack") {
            const { sequence, rejected } = response.payload.value;
            if (rejected) this.options.logger.warn("control plane refused a report", { sequence: String(sequence), reason: rejected });
            this.acknowledge(sequence);
          }
        }
        if (!this.stopped) throw new Error("control plane closed the session");
      } catch (error) {
        this.outgoing = null;
        this.options.onStreamEnded();
        if (this.stopped) break;
        failures++;
        this.notOpen = `not connected: ${error instanceof Error ? error.message : String(error)}`;
        const delay = Math.min(250 * 2 ** Math.min(failures - 1, 6), 15_000);
        this.options.logger.warn("agent session interrupted; reconnecting", { error: String(error), retryInMs: delay });
        queue.end();
        this.outgoing = null;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    this.outgoing = null;
    this.options.onStreamEnded();
  }

  /** "ok" while a session with the control plane is open, else why not. */
  state(): string {
    return this.notOpen ?? "ok";
  }

  private dropOldest(): void {
    const logAt = this.unacknowledged.findIndex((entry) => entry.payload?.case === "logs");
    this.unacknowledged.splice(logAt >= 0 ? logAt : 0, 1);
    if (!this.dropping) this.options.logger.warn("control plane unreachable for long; dropping the oldest unsent reports", { kept: maxUnacknowledged });
    this.dropping = true;
  }

  private acknowledge(sequence: bigint): void {
    this.dropping = false;
    while (this.unacknowledged.length > 0 && this.unacknowledged[0]!.sequence <= sequence) this.unacknowledged.shift();
    if (this.unacknowledged.length === 0) for (const wake of this.drainedWaiters.splice(0)) wake();
  }
}
