import type { EntityManager } from "typeorm";
import type { BusMessage } from "../../shared/events/event-bus.js";
import { OutboxEntity, type OutboxRow } from "./entities/outbox-entity.js";
import { PreparedRead } from "./prepared-reads.js";
import { PreparedInsert } from "./prepared-writes.js";

const rowInsert = new PreparedInsert(OutboxEntity);
const oldest = new PreparedRead(OutboxEntity, (q, columns) => `SELECT ${columns} FROM ${q("outbox")} ORDER BY ${q("id")} LIMIT ?`);
const oldestUnlocked = new PreparedRead(OutboxEntity, (q, columns) => `SELECT ${columns} FROM ${q("outbox")} ORDER BY ${q("id")} LIMIT ? FOR UPDATE SKIP LOCKED`);

/** The transactional outbox: events written with the change they announce. */
export const outboxRepository = {
  async add(m: EntityManager, messages: BusMessage[], now: number): Promise<void> {
    await rowInsert.insert(
      m,
      messages.map((msg) => ({
        topic: msg.topic,
        messageKey: msg.key,
        payload: Buffer.from(msg.value).toString("base64"),
        createdAt: now,
      })),
    );
  },

  /** The oldest rows, at most `limit`. */
  oldest(m: EntityManager, limit: number): Promise<OutboxRow[]> {
    return oldest.all(m, [limit]);
  },

  /**
   * MySQL, inside a transaction: the oldest rows, at most `limit`, locked
   * until it ends. Rows another transaction holds are passed over: another
   * relay's batch, or a row whose insert has not committed yet. Relays of
   * several replicas so take disjoint batches and never wait on each other or
   * on a create.
   */
  oldestUnlocked(m: EntityManager, limit: number): Promise<OutboxRow[]> {
    return oldestUnlocked.all(m, [limit]);
  },

  /**
   * Deletes published rows. The ORDER BY and LIMIT make MySQL look each id up
   * by key: without them it reads a long `IN` list by scanning the table,
   * and waits on every row that other transactions are still inserting.
   */
  async remove(m: EntityManager, ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    const q = (identifier: string) => m.connection.driver.escape(identifier);
    await m.query(`DELETE FROM ${q("outbox")} WHERE ${q("id")} IN (${ids.map(() => "?").join(", ")}) ORDER BY ${q("id")} LIMIT ${ids.length}`, ids);
  },

  count(m: EntityManager): Promise<number> {
    return m.count(OutboxEntity);
  },
};

export function toBusMessage(row: OutboxRow): BusMessage {
  return { topic: row.topic, key: row.messageKey, value: Buffer.from(row.payload, "base64") };
}
