import type { DataSource, EntityManager, QueryRunner } from "typeorm";
import { translateTransientErrors } from "./transient-errors.js";

/**
 * One connection of the MySQL pool, taken at the first transaction and kept
 * until `release()`. After a failed transaction it goes back to the pool (a
 * broken one is dropped there) and the next transaction takes another.
 */
export class ReservedConnection {
  private runner: QueryRunner | undefined;

  constructor(private readonly dataSource: DataSource) {}

  /** A transaction at READ COMMITTED (see Database.transactionOnCommittedRows). */
  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return translateTransientErrors(async () => {
      const runner = (this.runner ??= this.dataSource.createQueryRunner("master"));
      try {
        await runner.startTransaction("READ COMMITTED");
        const result = await work(runner.manager);
        await runner.commitTransaction();
        return result;
      } catch (error) {
        if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
        await this.release();
        throw error;
      }
    });
  }

  async release(): Promise<void> {
    const runner = this.runner;
    this.runner = undefined;
    if (runner && !runner.isReleased) await runner.release().catch(() => undefined);
  }
}
