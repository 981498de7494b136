import type { EventBus } from "../../shared/events/event-bus.js";
import type { Logger } from "../../shared/logging/logger.js";
import type { Database } from "../storage/database.js";
import { outboxRepository, toBusMessage } from "../storage/outbox-repository.js";
import type { Histogram } from "prom-client";

export interface OutboxRelayOptions {
  relayId: string;
  /** Safety-net poll; `wake()` after a commit makes delivery prompt. */
  pollIntervalMs: number;
  batchSize: number;
  /** How long a claimed batch is reserved before another relay may take it. */
  claimMs: number;
}

/**
 * Publishes outbox rows to the event bus, oldest first, and deletes each
 * batch once the bus accepted it. Delivery is at least once: a crash after
 * publishing and before deleting publishes the batch again, which consumers
 * tolerate (events only say "pod X changed, now generation G").
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private again = false;
  private started = false;
  private scheduled: NodeJS.Immediate | undefined;

  constructor(
    private readonly deps: { db: Database; bus: EventBus; now: () => number; logger: Logger; deliveries?: Histogram },
    private readonly options: OutboxRelayOptions,
  ) {}

  start(): void {
    this.started = true;
    this.timer = setInterval(() => this.wake(), this.options.pollIntervalMs);
    this.timer.unref();
    this.wake();
  }

  /**
   * Asks for a publishing pass soon; passes never overlap. Does nothing
   * unless started. The pass starts once the current turn of the event loop
   * ends, so that the commits of one turn (many, under load) share it.
   */
  wake(): void {
    if (!this.started || this.scheduled) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.scheduled = setImmediate(() => this.pass());
  }

  private pass(): void {
    this.scheduled = undefined;
    if (!this.started) return;
    this.running = this.drain()
      .catch((error: unknown) => this.deps.logger.warn("outbox relay pass failed", { error }))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  async stop(): Promise<void> {
    this.started = false;
    clearInterval(this.timer);
    if (this.scheduled) {
      // A pass asked for before stopping still publishes its batch, as one already running does.
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
      this.running = this.drain()
        .catch((error: unknown) => this.deps.logger.warn("outbox relay pass failed", { error }))
        .finally(() => (this.running = null));
    }
    await this.running;
  }

  /** Publishes until the outbox is empty (or the bus fails); rows committed meanwhile are the next pass's. */
  async drain(): Promise<void> {
    for (;;) {
      const now = this.deps.now();
      const until = now + this.options.claimMs;
      // Rows that creates are still inserting must not hold up the relay (see transactionOnCommittedRows and remove).
      const rows = await this.deps.db.transactionOnCommittedRows((tx) => outboxRepository.claim(tx, this.options.relayId, now, until, this.options.batchSize));
      if (rows.length === 0) return;
      const ids = rows.map((row) => row.id!);
      try {
        await this.deps.bus.publish(rows.map(toBusMessage));
      } catch (error) {
        await this.deps.db.transaction((tx) => outboxRepository.release(tx, ids));
        throw error;
      }
      const published = this.deps.now();
      for (const row of rows) this.deps.deliveries?.observe(Math.max(0, published - row.createdAt) / 1000);
      await this.deps.db.transactionOnCommittedRows((tx) => outboxRepository.remove(tx, ids));
      // Less than a batch was everything claimable: a commit since then has woken the relay for another pass.
      if (!this.started || rows.length < this.options.batchSize) return;
    }
  }
}
