import type { SyncOutcome } from "../drivers/cluster-driver.js";

type Sync = (key: string) => Promise<SyncOutcome>;

interface KeyState {
  /** A sync is running for this key now. */
  active: boolean;
  /** Asked again while active: run once more when done. */
  dirty: boolean;
  failures: number;
  retryTimer?: NodeJS.Timeout;
  /** Callers waiting for the next attempt to finish. */
  waiters: (() => void)[];
}

export interface WorkQueueOptions {
  concurrency: number;
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** A sync threw: it is retried after a backoff. */
  onError: (key: string, error: unknown) => void;
  /** A sync ended `terminal`: it is not retried until the key is enqueued again. */
  onTerminal?: (key: string, reason: string) => void;
}

/**
 * A keyed work queue in the manner of Kubernetes controllers: a key is synced
 * by one worker at a time, repeated requests while it waits collapse into
 * one, failures retry with per-key exponential backoff, and at most
 * `concurrency` keys sync at once, so one slow pod never blocks the rest.
 * Outcomes: `done` forgets the key, `requeue` runs it again after a while,
 * `terminal` forgets it without retry; a thrown error retries with backoff.
 */
export class WorkQueue {
  private readonly states = new Map<string, KeyState>();
  private readonly pending: string[] = [];
  private readonly queued = new Set<string>();
  private running = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly sync: Sync,
    private readonly options: WorkQueueOptions,
  ) {}

  /** Asks for `key` to be synced; resolves when an attempt that began after this call has finished. */
  enqueue(key: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    const state = this.stateOf(key);
    const done = new Promise<void>((resolve) => state.waiters.push(resolve));
    if (state.active) state.dirty = true;
    else this.schedule(key);
    return done;
  }

  /** Keys queued or syncing now. */
  get size(): number {
    return this.pending.length + this.running;
  }

  /** Resolves once nothing is queued or running (a retry waiting on its backoff timer does not count). */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const state of this.states.values()) {
      clearTimeout(state.retryTimer);
      for (const wake of state.waiters.splice(0)) wake();
    }
    this.pending.length = 0;
  }

  private stateOf(key: string): KeyState {
    let state = this.states.get(key);
    if (!state) this.states.set(key, (state = { active: false, dirty: false, failures: 0, waiters: [] }));
    return state;
  }

  private schedule(key: string): void {
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.pending.push(key);
    this.pump();
  }

  private pump(): void {
    while (!this.closed && this.running < this.options.concurrency && this.pending.length > 0) {
      const key = this.pending.shift()!;
      this.queued.delete(key);
      void this.run(key);
    }
    if (this.running === 0 && this.pending.length === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private async run(key: string): Promise<void> {
    const state = this.stateOf(key);
    clearTimeout(state.retryTimer);
    state.active = true;
    state.dirty = false;
    const waiters = state.waiters.splice(0);
    this.running++;
    let retryAfter: number | null = null;
    try {
      const outcome = await this.sync(key);
      state.failures = 0;
      if (outcome.kind === "requeue") retryAfter = outcome.afterMs;
      else if (outcome.kind === "terminal") this.options.onTerminal?.(key, outcome.reason);
    } catch (error) {
      state.failures++;
      this.options.onError(key, error);
      retryAfter = Math.min(this.options.baseBackoffMs * 2 ** (state.failures - 1), this.options.maxBackoffMs);
    } finally {
      state.active = false;
      this.running--;
      for (const wake of waiters) wake();
    }
    if (this.closed) return;
    if (state.dirty) this.schedule(key);
    else if (retryAfter !== null) state.retryTimer = setTimeout(() => this.schedule(key), retryAfter);
    else if (state.waiters.length === 0) this.states.delete(key);
    this.pump();
  }
}
