import { EntitySchema } from "typeorm";
import { epochMillis, jsonText, shortText } from "./column-types.js";

/** An image allowlist entry; `imageKey` is its one canonical spelling (see patternKey). */
export interface ImageRow {
  imageKey: string;
  image: string;
  /** Tenant ids, or "*" for every tenant. */
  tenants: string[];
  description: string;
  addedBy: string;
  creationTs: number;
}

export const ImageEntity = new EntitySchema<ImageRow>({
  name: "Image",
  tableName: "images",
  columns: {
    imageKey: { ...shortText(255), primary: true, name: "image_key" },
    image: shortText(255),
    tenants: jsonText(),
    description: shortText(2048),
    addedBy: { ...shortText(128), name: "added_by" },
    creationTs: { ...epochMillis(), name: "creation_ts" },
  },
});
