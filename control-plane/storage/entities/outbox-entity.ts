import { EntitySchema } from "typeorm";
import { epochMillis, longText, shortText } from "./column-types.js";

/**
 * An event waiting to be published. Written in the same transaction as the
 * change it announces; the relay publishes it and deletes it.
 */
export interface OutboxRow {
  id?: number;
  topic: string;
  messageKey: string;
  /** Base64 of the protobuf-encoded event. */
  payload: string;
  createdAt: number;
}

export const OutboxEntity = new EntitySchema<OutboxRow>({
  name: "Outbox",
  tableName: "outbox",
  columns: {
    id: { type: "integer", primary: true, generated: "increment" },
    topic: shortText(255),
    messageKey: { ...shortText(255), name: "message_key" },
    payload: longText(),
    createdAt: { ...epochMillis(), name: "created_at" },
  },
});
