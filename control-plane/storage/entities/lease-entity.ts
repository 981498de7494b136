import { EntitySchema } from "typeorm";
import { epochMillis, shortText } from "./column-types.js";

/** A job that runs on one replica at a time: who holds it, until when (epoch ms). */
export interface LeaseRow {
  name: string;
  holder: string;
  until: number;
}

export const LeaseEntity = new EntitySchema<LeaseRow>({
  name: "Lease",
  tableName: "leases",
  columns: {
    name: { ...shortText(64), primary: true },
    holder: shortText(64),
    until: epochMillis(),
  },
});
