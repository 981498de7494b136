import { In, LessThan, type EntityManager } from "typeorm";
import type { BusMessage } from "../../shared/events/event-bus.js";
import { OutboxEntity, type OutboxRow } from "./entities/outbox-entity.js";

/** The transactional outbox: events written with the change they announce. */
export const outboxRepository = {
  async add(m: EntityManager, messages: BusMessage[], now: number): Promise<void> {
    if (messages.length === 0) return;
    await m.insert(
      OutboxEntity,
      messages.map((msg) => ({
        topic: msg.topic,
        messageKey: msg.key,
        payload: Buffer.from(msg.value).toString("base64"),
        createdAt: now,
        claimedBy: null,
        claimedUntil: 0,
      })),
    );
  },

  /**
   * Claims up to `limit` unclaimed (or expired) rows for `relayId` until
   * `until`, oldest first, and returns them. Two relays never hold a row at
   * the same time; a relay that dies releases its rows when the claim expires.
   */
  async claim(m: EntityManager, relayId: string, now: number, until: number, limit: number): Promise<OutboxRow[]> {
    const candidates = await m.find(OutboxEntity, {
      where: { claimedUntil: LessThan(now) },
      order: { id: "ASC" },
      take: limit,
      select: { id: true },
    });
    if (candidates.length === 0) return [];
    await m.update(
      OutboxEntity,
      { id: In(candidates.map((c) => c.id)), claimedUntil: LessThan(now) },
      { claimedBy: relayId, claimedUntil: until },
    );
    return m.find(OutboxEntity, { where: { claimedBy: relayId, claimedUntil: until }, order: { id: "ASC" } });
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

  async release(m: EntityManager, ids: number[]): Promise<void> {
    if (ids.length > 0) await m.update(OutboxEntity, { id: In(ids) }, { claimedBy: null, claimedUntil: 0 });
  },

  count(m: EntityManager): Promise<number> {
    return m.count(OutboxEntity);
  },
};

export function toBusMessage(row: OutboxRow): BusMessage {
  return { topic: row.topic, key: row.messageKey, value: Buffer.from(row.payload, "base64") };
}
