import type { DataSource, EntityManager, QueryRunner } from "typeorm";
import { translateTransientErrors } from "./transient-errors.js";

/**
 * One connection taken out of the MySQL pool for one worker, so that it
 * never queues behind requests waiting for a connection. Its session runs at
 * READ COMMITTED, where locking reads take no gap locks (inserts of other
 * transactions do not wait on them), and with autocommit off: the first
 * statement opens a transaction, so a transaction costs no BEGIN round trip.
 * Because of those settings it never goes back to the pool: `release()`, or
 * any failed transaction, closes it, and the next transaction opens another.
 */
export class ReservedConnection {
  private runner: QueryRunner | undefined;

  constructor(private readonly dataSource: DataSource) {}

  /**
   * Runs `work` in one transaction and commits it, or rolls it back if `work`
   * throws. Locking reads go through `tx.query` (typeorm's find options do
   * not know of this transaction).
   */
  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return translateTransientErrors(async () => {
      const runner = await this.session();
      try {
        const result = await work(runner.manager);
        await runner.query("COMMIT");
        return result;
      } catch (error) {
        await runner.query("ROLLBACK").catch(() => undefined);
        await this.release();
        throw error;
      }
    });
  }

  async release(): Promise<void> {
    const runner = this.runner;
    this.runner = undefined;
    if (!runner || runner.isReleased) return;
    (runner as unknown as { databaseConnection?: { destroy(): void } }).databaseConnection?.destroy();
    await runner.release().catch(() => undefined);
  }

  private async session(): Promise<QueryRunner> {
    if (this.runner) return this.runner;
    const runner = this.dataSource.createQueryRunner("master");
    this.runner = runner;
    try {
      await runner.query("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
      await runner.query("SET autocommit = 0");
    } catch (error) {
      await this.release();
      throw error;
    }
    return runner;
  }
}
