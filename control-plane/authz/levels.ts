import type { LevelName } from "../storage/entities/permission-entity.js";

export const levelNames: readonly LevelName[] = ["READ", "USER", "ADMIN"];

const rank: Record<LevelName, number> = { READ: 1, USER: 2, ADMIN: 3 };

/** Levels nest: ADMIN includes USER, USER includes READ. */
export function levelAtLeast(have: LevelName | null, need: LevelName): boolean {
  return have !== null && rank[have] >= rank[need];
}
