import { AsyncQueue } from "../../shared/async/async-queue.js";
import type { Logger } from "../../shared/logging/logger.js";
import { OutOfRangeError } from "../errors/domain-errors.js";
import type { Database } from "../storage/database.js";
import type { PodChangeRow } from "../storage/entities/pod-change-entity.js";
import { podChangeRepository } from "../storage/pod-change-repository.js";

export interface PodChange {
  revision: number;
  tenantId: string;
  podId: string;
  deleted: boolean;
}

export interface FeedOptions {
  /** How often the log is read while anyone watches. */
  pollMs: number;
  /** How long changes are kept for watches to resume from. */
  historyMs: number;
}

/** Revisions read again on each poll: on MySQL a transaction may commit after a later-numbered one. */
const lateCommitWindow = 200;
const pageSize = 500;

/**
 * The pod changes of every replica, from the numbered log in the database,
 * shared by this replica's watches: one reader polls the log while anyone
 * watches and hands each change to every watcher. Works the same with one
 * replica or many, on SQLite or MySQL.
 */
export class PodChangeFeed {
  private readonly watchers = new Set<AsyncQueue<PodChange>>();
  private last = 0;
  /** Recently delivered revisions, so the re-read window delivers each once. */
  private readonly delivered = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private lastTrim = 0;

  constructor(
    private readonly db: Database,
    private readonly options: FeedOptions,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The newest revision now, 0 when nothing changed yet. */
  latest(): Promise<number> {
    return this.db.read((m) => podChangeRepository.latest(m));
  }

  /**
   * Changes after `fromRevision`: those already kept, then each new one, until
   * `signal` aborts. OutOfRangeError when changes after it are no longer kept.
   */
  async *after(fromRevision: number, signal: AbortSignal): AsyncGenerator<PodChange> {
    const live = new AsyncQueue<PodChange>();
    await this.join(live);
    const stop = () => live.end();
    signal.addEventListener("abort", stop, { once: true });
    try {
      const oldest = await this.db.read((m) => podChangeRepository.oldest(m));
      if (oldest !== null && fromRevision < oldest - 1) {
        throw new OutOfRangeError("from_revision", `changes after revision ${fromRevision} are no longer kept (the oldest is ${oldest}); watch again from 0`);
      }
      // Joined before reading what is kept, so no change falls between the two; each is given once.
      const replayed = new Set<number>();
      let position = fromRevision;
      for (;;) {
        const rows = await this.db.read((m) => podChangeRepository.after(m, position, pageSize));
        for (const row of rows) {
          replayed.add(row.revision!);
          yield changeOf(row);
        }
        if (rows.length < pageSize) break;
        position = rows.at(-1)!.revision!;
      }
      for await (const change of live) if (change.revision > fromRevision && !replayed.has(change.revision)) yield change;
    } finally {
      signal.removeEventListener("abort", stop);
      this.leave(live);
    }
  }

  private async join(watcher: AsyncQueue<PodChange>): Promise<void> {
    if (this.watchers.size === 0) {
      this.last = await this.latest();
      this.timer = setInterval(() => void this.poll(), this.options.pollMs);
      this.timer.unref();
    }
    this.watchers.add(watcher);
  }

  private leave(watcher: AsyncQueue<PodChange>): void {
    this.watchers.delete(watcher);
    if (this.watchers.size === 0) clearInterval(this.timer);
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const rows = await this.db.read((m) => podChangeRepository.after(m, Math.max(0, this.last - lateCommitWindow), pageSize * 2));
      for (const row of rows) {
        const revision = row.revision!;
        if (this.delivered.has(revision)) continue;
        this.delivered.add(revision);
        if (this.delivered.size > 10 * lateCommitWindow) this.delivered.delete(this.delivered.values().next().value!);
        if (revision <= this.last - lateCommitWindow) continue;
        this.last = Math.max(this.last, revision);
        for (const watcher of this.watchers) watcher.push(changeOf(row));
      }
      await this.trim();
    } catch (error) {
      this.logger.warn("reading pod changes failed; watches wait for the next read", { error: String(error) });
    } finally {
      this.polling = false;
    }
  }

  /** Forgets changes older than the history kept, once a minute. */
  private async trim(): Promise<void> {
    const now = this.now();
    if (now - this.lastTrim < 60_000) return;
    this.lastTrim = now;
    await this.db.transaction((tx) => podChangeRepository.trim(tx, now - this.options.historyMs));
  }
}

function changeOf(row: PodChangeRow): PodChange {
  return { revision: row.revision!, tenantId: row.tenantId, podId: row.podId, deleted: row.deleted };
}
