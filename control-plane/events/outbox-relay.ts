import type { EventBus } from "../../shared/events/event-bus.js";
import type { Logger } from "../../shared/logging/logger.js";
import type { Database } from "../storage/database.js";
import type { ReservedConnection } from "../storage/reserved-connection.js";
import type { OutboxRow } from "../storage/entities/outbox-entity.js";
import { outboxRepository, toBusMessage } from "../storage/outbox-repository.js";
import type { Histogram } from "prom-client";

export interface OutboxRelayOptions {
  /** Safety-net poll; `wake()` after a commit makes delivery prompt. */
  pollIntervalMs: number;
  batchSize: number;
}

/**
 * Publishes outbox rows to the event bus, oldest first, and deletes each
 * batch once the bus accepted it. Delivery is at least once: a crash after
 * publishing and before deleting publishes the batch again, which consumers
 * tolerate (events only say "pod X changed, now generation G").
 *
 * On MySQL a batch is one transaction: its rows stay locked while the bus
 * takes them and are deleted before it commits. The relays of other replicas
 * pass locked rows over, and a relay that fails or dies mid-batch leaves its
 * rows to the next pass when the transaction rolls back. On SQLite, whose
 * one connection must not wait on the bus, a batch is read, published, then
 * deleted; its one process has one relay, whose passes never overlap.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private readonly running = new Set<Promise<void>>();
  private again = false;
  private started = false;
  private scheduled: NodeJS.Immediate | undefined;
  /** Reserved connections not in use by a pass (MySQL). */
  private readonly idle: ReservedConnection[] = [];
  /** The last publish asked for: each batch publishes after the one read before it. */
  private publishing: Promise<unknown> = Promise.resolve();
  /**
   * Passes at once. On MySQL a second pass reads the next batch while the
   * first publishes and commits, so an event committed during a pass does not
   * wait for that pass to end. SQLite passes take turns (their batches are
   * not locked).
   */
  private readonly overlap: number;

  constructor(
    private readonly deps: { db: Database; bus: EventBus; now: () => number; logger: Logger; deliveries?: Histogram },
    private readonly options: OutboxRelayOptions,
  ) {
    this.overlap = deps.db.kind === "mysql" ? 2 : 1;
  }

  start(): void {
    this.started = true;
    this.timer = setInterval(() => this.wake(), this.options.pollIntervalMs);
    this.timer.unref();
    this.wake();
  }

  /**
   * Asks for a publishing pass soon. Does nothing unless started. The pass
   * starts once the current turn of the event loop ends, so that the commits
   * of one turn (many, under load) share it; when as many passes run as may,
   * it starts when one of them ends.
   */
  wake(): void {
    if (!this.started || this.scheduled) return;
    if (this.running.size >= this.overlap) {
      this.again = true;
      return;
    }
    this.scheduled = setImmediate(() => this.pass());
  }

  private pass(): void {
    this.scheduled = undefined;
    if (this.started) this.run();
  }

  private run(): void {
    const run: Promise<void> = this.drain()
      .catch((error: unknown) => this.deps.logger.warn("outbox relay pass failed", { error }))
      .finally(() => {
        this.running.delete(run);
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
    this.running.add(run);
  }

  async stop(): Promise<void> {
    this.started = false;
    clearInterval(this.timer);
    if (this.scheduled) {
      // A pass asked for before stopping still publishes its batch, as one already running does.
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
      this.run();
    }
    await Promise.all(this.running);
    for (const connection of this.idle.splice(0)) await connection.release();
  }

  /** Publishes until the outbox is empty (or the bus fails); rows committed meanwhile are the next pass's. */
  async drain(): Promise<void> {
    for (;;) {
      const published = await this.publishBatch();
      // Less than a batch was everything there was: a commit since then has woken the relay for another pass.
      if (!this.started || published < this.options.batchSize) return;
    }
  }

  private async publishBatch(): Promise<number> {
    const { db } = this.deps;
    const limit = this.options.batchSize;
    if (db.kind === "mysql") {
      const connection = this.idle.pop() ?? db.reserveConnection()!;
      try {
        return await connection.transaction(async (tx) => {
          const rows = await outboxRepository.oldestUnlocked(tx, limit);
          await this.publish(rows);
          await outboxRepository.remove(tx, rows.map((row) => row.id!));
          return rows.length;
        });
      } finally {
        this.idle.push(connection);
      }
    }
    const rows = await db.read((m) => outboxRepository.oldest(m, limit));
    if (rows.length === 0) return 0;
    await this.publish(rows);
    await db.transaction((tx) => outboxRepository.remove(tx, rows.map((row) => row.id!)));
    return rows.length;
  }

  private async publish(rows: OutboxRow[]): Promise<void> {
    if (rows.length === 0) return;
    const turn = this.publishing.then(() => this.deps.bus.publish(rows.map(toBusMessage)));
    this.publishing = turn.catch(() => undefined);
    await turn;
    const published = this.deps.now();
    for (const row of rows) this.deps.deliveries?.observe(Math.max(0, published - row.createdAt) / 1000);
  }
}
