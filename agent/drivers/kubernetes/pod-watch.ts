import type { Logger } from "../../../shared/logging/logger.js";

/** The part of the client's informer the watch keeper drives (of pods, or of events). */
export interface RestartableInformer {
  /** Lists (unless it can resume) and watches; a failure comes as an `error` event or a rejection. */
  start(): Promise<void>;
  stop(): Promise<void>;
  on(event: "error", handler: (error: unknown) => void): void;
}

export interface WatchRetry {
  /** Delay before the first retry; it doubles with each failed attempt. */
  firstMs: number;
  /** The delay never grows past this. */
  maxMs: number;
}

export const defaultWatchRetry: WatchRetry = { firstMs: 1_000, maxMs: 30_000 };

/** What the keeper tells its owner. */
export interface PodWatchListener {
  /** The watch is down; `problem` names it, since when, and the latest failure. */
  down(problem: string): void;
  /** The watch is back after being down: anything may have changed meanwhile. */
  recovered(): void;
}

/** How long to wait before retry number `failures` (1 for the first). */
export function watchRetryDelayMs(failures: number, retry: WatchRetry): number {
  return Math.min(retry.firstMs * 2 ** Math.max(0, failures - 1), retry.maxMs);
}

/**
 * Keeps an informer's watch running. The client's informer stops for good
 * at its first error, so every failure — reported through its error event
 * or by a rejected start — schedules another start after an exponential,
 * capped backoff, until one succeeds. The owner hears when the watch goes
 * down (and each time the failure changes) and when it is back.
 */
export class PodWatch {
  private failures = 0;
  private downSince: Date | null = null;
  /** The start in progress: a failure reported meanwhile belongs to it. */
  private attempt: Attempt | null = null;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private watching = false;

  constructor(
    private readonly informer: RestartableInformer,
    private readonly retry: WatchRetry,
    private readonly listener: PodWatchListener,
    private readonly logger: Logger,
    /** What is watched, as problems and logs name it. */
    private readonly what = "kubernetes pod watch",
  ) {
    informer.on("error", (error) => this.failed(error));
  }

  /** Whether the informer's cache is current: it started and nothing failed since. */
  get up(): boolean {
    return this.watching;
  }

  /** Starts watching; a failure does not throw but leaves the watch down and retrying. */
  start(): Promise<void> {
    return this.attemptStart();
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.informer.stop();
  }

  private failed(error: unknown): void {
    if (this.closed) return;
    if (this.attempt) this.attempt.fail(error);
    else this.wentDown(error);
  }

  private async attemptStart(): Promise<void> {
    const attempt = new Attempt();
    this.attempt = attempt;
    try {
      await this.informer.start();
    } catch (error) {
      attempt.fail(error);
    }
    this.attempt = null;
    if (this.closed) return;
    if (attempt.failed) return this.wentDown(attempt.error);
    this.failures = 0;
    this.watching = true;
    if (this.downSince) {
      this.logger.info(`${this.what} is back`, { downForMs: Date.now() - this.downSince.getTime() });
      this.downSince = null;
      this.listener.recovered();
    }
  }

  private wentDown(error: unknown): void {
    this.watching = false;
    this.failures++;
    this.downSince ??= new Date();
    const message = error instanceof Error ? error.message : String(error);
    this.listener.down(`${this.what} down since ${this.downSince.toISOString()}: ${message}`);
    const delay = watchRetryDelayMs(this.failures, this.retry);
    this.logger.debug(`restarting the ${this.what}`, { failures: this.failures, inMs: delay, error: message });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.attemptStart(), delay);
  }
}

/** One start of the informer; the first failure reported during it is its outcome. */
class Attempt {
  failed = false;
  error: unknown;

  fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.error = error;
  }
}
