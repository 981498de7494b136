import { Writable } from "node:stream";
import type { Logger } from "../../../shared/logging/logger.js";
import type { KubernetesApi } from "./kubernetes-api.js";

export interface LogFollowerTarget {
  podName: string;
  container: string;
  /** Receives output in order; `reset` on the first chunk of this Kubernetes pod. */
  write(text: string, reset: boolean): void;
  /** Whether following should go on after the stream ends (the pod still runs). */
  stillRunning(): boolean;
}

const flushBytes = 64 * 1024;
const flushMs = 250;
const retryMs = 1_000;

/**
 * Follows one Kubernetes pod's container output and hands it on in batches.
 * Lines come with timestamps, so after the stream breaks (a container
 * restart, a network blip) following resumes after the last line seen
 * instead of repeating the log.
 */
export class LogFollower {
  private controller: AbortController | undefined;
  private stopped = false;
  private first = true;
  private lastTimestamp: string | undefined;
  private partial = "";
  private batch = "";
  private flushTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly api: KubernetesApi,
    private readonly target: LogFollowerTarget,
    private readonly logger: Logger,
  ) {}

  start(): void {
    void this.follow();
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
    clearTimeout(this.retryTimer);
    this.flush();
  }

  private async follow(): Promise<void> {
    if (this.stopped) return;
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        this.take(chunk.toString("utf8"));
        callback();
      },
    });
    try {
      this.controller = await this.api.followLogs(this.target.podName, this.target.container, sink, { sinceTime: this.lastTimestamp }, () => this.ended());
    } catch (error) {
      this.logger.debug("log stream not available yet", { pod: this.target.podName, error: String(error) });
      this.ended();
    }
  }

  private ended(): void {
    this.flush();
    if (this.stopped || !this.target.stillRunning()) return;
    this.retryTimer = setTimeout(() => void this.follow(), retryMs);
  }

  /** Splits "<RFC 3339 timestamp> <text>" lines, dropping lines already seen. */
  private take(text: string): void {
    const lines = (this.partial + text).split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) {
      const space = line.indexOf(" ");
      const timestamp = space > 0 ? sortable(line.slice(0, space)) : "";
      if (this.lastTimestamp && timestamp && timestamp <= this.lastTimestamp) continue;
      if (timestamp) this.lastTimestamp = timestamp;
      this.batch += (space > 0 ? line.slice(space + 1) : line) + "\n";
    }
    if (Buffer.byteLength(this.batch) >= flushBytes) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), flushMs);
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (!this.batch) return;
    this.target.write(this.batch, this.first);
    this.first = false;
    this.batch = "";
  }
}

/** RFC 3339 with nanoseconds trims trailing zeros; pad so that timestamps compare as strings. */
function sortable(timestamp: string): string {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(timestamp);
  return match ? `${match[1]}.${(match[2] ?? "").padEnd(9, "0")}Z` : "";
}
