import type { EntityManager } from "typeorm";
import { isDuplicateKeyError } from "./duplicate-key.js";
import { LeaseEntity } from "./entities/lease-entity.js";

/** Leases: a job named `name` runs on whichever replica holds its lease. */
export const leaseRepository = {
  /**
   * Takes the lease for `holder` until `until`, or renews it when `holder`
   * has it already; false while another holder's lease has not run out.
   */
  async acquire(m: EntityManager, name: string, holder: string, now: number, until: number): Promise<boolean> {
    const taken = await m
      .createQueryBuilder()
      .update(LeaseEntity)
      .set({ holder, until })
      .where("name = :name AND (holder = :holder OR until < :now)", { name, holder, now })
      .execute();
    if ((taken.affected ?? 0) > 0) return true;
    try {
      await m.insert(LeaseEntity, { name, holder, until });
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  },

  /** Gives the lease up, so another replica may take it at once. */
  async release(m: EntityManager, name: string, holder: string): Promise<void> {
    await m.delete(LeaseEntity, { name, holder });
  },
};
