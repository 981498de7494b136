import { In, type EntityManager } from "typeorm";
import { ImageEntity, type ImageRow } from "./entities/image-entity.js";
import { PreparedRead } from "./prepared-reads.js";

// Read on every create and update of a pod (the allowlist check).
const allImages = new PreparedRead(ImageEntity, (q, columns) => `SELECT ${columns} FROM ${q("images")} ORDER BY ${q("image")} ASC`);

/** Reads and writes of the stored image allowlist entries. */
export const imageRepository = {
  list(m: EntityManager): Promise<ImageRow[]> {
    return allImages.all(m, []);
  },

  find(m: EntityManager, imageKey: string): Promise<ImageRow | null> {
    return m.findOne(ImageEntity, { where: { imageKey } });
  },

  async existing(m: EntityManager, imageKeys: string[]): Promise<Set<string>> {
    if (imageKeys.length === 0) return new Set();
    return new Set((await m.find(ImageEntity, { where: { imageKey: In(imageKeys) }, select: { imageKey: true } })).map((row) => row.imageKey));
  },

  async insert(m: EntityManager, rows: ImageRow[]): Promise<void> {
    if (rows.length > 0) await m.insert(ImageEntity, rows);
  },

  async delete(m: EntityManager, imageKey: string): Promise<boolean> {
    return ((await m.delete(ImageEntity, { imageKey })).affected ?? 0) > 0;
  },
};
