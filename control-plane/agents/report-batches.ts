import type { AgentReport } from "./cluster-state-service.js";

/** Stores a run of reports together; answers, per report, null (stored) or why it was refused. */
export type StoreReports = (reports: readonly AgentReport[]) => Promise<(string | null)[]>;

/** What a numbered message of the session is answered with: its acknowledgement, refused or not. */
export interface Acknowledgement {
  sequence: bigint;
  rejected?: string;
}

type Entry = { sequence: bigint; report: AgentReport } | { sequence: bigint; settled: Acknowledgement };

/** Where a session's batches go and what they tell. */
export interface ReportBatchHooks {
  store: StoreReports;
  acknowledge(ack: Acknowledgement): void;
  /** Called once when a batch cannot be stored at all (the database is down): the session must end. */
  fail(error: unknown): void;
  /** Reports read and not yet stored, each time the count changes. */
  waiting?(reports: number): void;
  /** The size of each batch stored. */
  stored?(reports: number): void;
}

export interface ReportBatchOptions {
  /** Most reports stored in one transaction. */
  maxBatch: number;
  /** Reports and acknowledgements waiting past which the session stops reading until they shrink. */
  maxWaiting: number;
}

/**
 * An agent session's reports, stored a batch at a time while the session
 * goes on reading: the reports that arrive while one batch is stored become
 * the next batch, one transaction for all of them. Acknowledgements leave in
 * sequence order, those of messages handled at once (exec replies) included,
 * because the agent takes an acknowledgement as one for everything before it.
 */
export class ReportBatches {
  private readonly waiting: Entry[] = [];
  private storing: Promise<void> | null = null;
  private failure: { error: unknown } | null = null;
  private readonly roomWaiters: (() => void)[] = [];
  /** Reports queued or in the batch being stored. */
  private unstored = 0;

  constructor(
    private readonly hooks: ReportBatchHooks,
    private readonly options: ReportBatchOptions,
  ) {}

  /** Queues a report for the next batch. */
  report(sequence: bigint, report: AgentReport): void {
    if (this.failure) return;
    this.count(+1);
    this.add({ sequence, report });
  }

  /** Acknowledges a message already handled, once everything before it is. */
  settled(ack: Acknowledgement): void {
    if (this.waiting.length === 0 && !this.storing) {
      if (!this.failure) this.hooks.acknowledge(ack);
      return;
    }
    this.add({ sequence: ack.sequence, settled: ack });
  }

  /** Resolves once fewer than `maxWaiting` entries wait (at once when they already do). */
  room(): Promise<void> {
    if (this.waiting.length < this.options.maxWaiting || this.failure) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Resolves once everything queued is stored and acknowledged, or the batches failed. */
  async drained(): Promise<void> {
    while (this.storing) await this.storing;
  }

  private add(entry: Entry): void {
    if (this.failure) return;
    this.waiting.push(entry);
    this.storing ??= this.storeAll();
  }

  private async storeAll(): Promise<void> {
    try {
      while (this.waiting.length > 0 && !this.failure) await this.storeNext();
    } finally {
      this.storing = null;
      this.wakeRoomWaiters();
    }
  }

  private async storeNext(): Promise<void> {
    const batch = this.takeBatch();
    const reports = batch.flatMap((entry) => ("report" in entry ? [entry.report] : []));
    let refusals: (string | null)[] = [];
    try {
      if (reports.length > 0) {
        refusals = await this.hooks.store(reports);
        this.hooks.stored?.(reports.length);
      }
    } catch (error) {
      this.failure = { error };
      this.waiting.length = 0;
      this.count(-this.unstored);
      this.hooks.fail(error);
      return;
    }
    this.count(-reports.length);
    let next = 0;
    for (const entry of batch) {
      if ("settled" in entry) this.hooks.acknowledge(entry.settled);
      else {
        const rejected = refusals[next++];
        this.hooks.acknowledge(rejected ? { sequence: entry.sequence, rejected } : { sequence: entry.sequence });
      }
    }
    this.wakeRoomWaiters();
  }

  private count(change: number): void {
    if (change === 0) return;
    this.unstored += change;
    this.hooks.waiting?.(this.unstored);
  }

  /** The waiting entries up to `maxBatch` reports (the settled ones among them ride along). */
  private takeBatch(): Entry[] {
    let reports = 0;
    let end = 0;
    while (end < this.waiting.length) {
      if ("report" in this.waiting[end]! && ++reports > this.options.maxBatch) break;
      end++;
    }
    return this.waiting.splice(0, end);
  }

  private wakeRoomWaiters(): void {
    if (this.waiting.length >= this.options.maxWaiting && !this.failure) return;
    for (const wake of this.roomWaiters.splice(0)) wake();
  }
}
