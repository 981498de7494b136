import type { Logger } from "../logging/logger.js";
import type { BusHandler, BusMessage } from "./event-bus.js";
import { PartitionOffsets } from "./partition-offsets.js";

/** Messages handed to the handler and not yet handled, past which no more are taken. */
const maxInFlightMessages = 1024;
/** How long handled offsets gather before they are committed in one request. */
const commitDelayMs = 20;
const firstRetryMs = 250;
const maxRetryMs = 10_000;

type Commit = (offsets: { partition: number; offset: string }[]) => Promise<void>;

/**
 * Hands a consumer's messages to a handler as they arrive, without waiting
 * for earlier ones of other keys, and commits what is handled. A key's
 * messages are handled one after another, in order; a handler that rejects
 * is retried with a backoff, holding back its key and the commits of its
 * partition, until it resolves or the delivery stops.
 */
export class PipelinedDelivery {
  private readonly offsets = new PartitionOffsets();
  /** Per key: the tail of that key's handlers. */
  private readonly chains = new Map<string, Promise<void>>();
  private commitTimer: NodeJS.Timeout | undefined;
  private commits: Promise<void> = Promise.resolve();
  private stopped = false;
  private roomWaiters: (() => void)[] = [];

  constructor(
    private readonly handler: BusHandler,
    private readonly commit: Commit,
    private readonly logger: Logger,
  ) {}

  /** Takes a message; resolves once it is taken (not handled), waiting while too many are in flight. */
  async deliver(partition: number, offset: string, message: BusMessage, heartbeat: () => Promise<void>): Promise<void> {
    while (this.offsets.inFlight >= maxInFlightMessages && !this.stopped) {
      await new Promise<void>((resolve) => {
        this.roomWaiters.push(resolve);
        setTimeout(resolve, 1_000).unref();
      });
      // Waiting long must not cost this member its partitions.
      await heartbeat();
    }
    if (this.stopped) return;
    const generation = this.offsets.generation;
    this.offsets.started(partition, offset);
    const previous = this.chains.get(message.key) ?? Promise.resolve();
    const handled = previous.then(async () => {
      if (!(await this.handleUntilDone(message))) return;
      this.offsets.finished(partition, offset, generation);
      for (const wake of this.roomWaiters.splice(0)) wake();
      this.commitSoon();
    });
    this.chains.set(message.key, handled);
    void handled.then(() => {
      if (this.chains.get(message.key) === handled) this.chains.delete(message.key);
    });
  }

  /** The group rebalanced: the broker redelivers from the committed offsets, so what is in flight no longer counts. */
  rebalanced(): void {
    this.offsets.reset();
    for (const wake of this.roomWaiters.splice(0)) wake();
  }

  /** Takes no more messages, gives up retries, and commits what was handled. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.commitTimer);
    for (const wake of this.roomWaiters.splice(0)) wake();
    await this.commitHandled();
  }

  /** True once the handler resolved; false when the delivery stopped first. */
  private async handleUntilDone(message: BusMessage): Promise<boolean> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.handler(message);
        return true;
      } catch (error) {
        this.logger.debug("an event's handler failed; retrying", { topic: message.topic, key: message.key, error: String(error) });
        await new Promise((resolve) => setTimeout(resolve, Math.min(firstRetryMs * 2 ** attempt, maxRetryMs)).unref());
      }
    }
    return false;
  }

  private commitSoon(): void {
    if (this.commitTimer || this.stopped) return;
    this.commitTimer = setTimeout(() => {
      this.commitTimer = undefined;
      void this.commitHandled();
    }, commitDelayMs);
  }

  /** Commits one after another, so a later offset is never overwritten by an earlier one. */
  private commitHandled(): Promise<void> {
    this.commits = this.commits.then(async () => {
      const handled = this.offsets.takeCommittable();
      if (handled.length === 0) return;
      try {
        await this.commit(handled);
      } catch (error) {
        // A rebalance took the partition: its next holder starts from the last commit and redelivers the rest.
        this.logger.debug("committing handled events failed", { error: String(error) });
      }
    });
    return this.commits;
  }
}
