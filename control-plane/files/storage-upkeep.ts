import type { Logger } from "../../shared/logging/logger.js";
import type { Database } from "../storage/database.js";
import { leaseRepository } from "../storage/lease-repository.js";
import { volumeRepository } from "../storage/volume-repository.js";
import type { StorageFiles } from "./storage-files.js";
import type { StorageWork } from "./storage-work.js";

/** The lease whose holder does the upkeep: one replica at a time. */
export const upkeepLease = "storage-upkeep";

export interface StorageUpkeepDeps {
  db: Database;
  now: () => number;
  logger: Logger;
  /** This replica. */
  holder: string;
  work: StorageWork;
  files: StorageFiles;
  /** Jobs run first on every pass (the snapshot schedules). */
  jobs: { name: string; run(): Promise<unknown> }[];
}

export interface StorageUpkeepOptions {
  intervalMs: number;
  /** Between recounts of every volume's size. */
  usageMs: number;
}

/**
 * The periodic work on volumes and snapshots that must run once across
 * replicas: each pass takes (or renews) a lease in the database, and only
 * its holder runs the jobs (due snapshot schedules), finishes pending folder
 * work nobody holds, and now and then recounts every volume's size. A
 * holder that dies loses the lease after three intervals and another
 * replica carries on.
 */
export class StorageUpkeep {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<boolean> | null = null;
  private lastUsageAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly deps: StorageUpkeepDeps,
    private readonly options: StorageUpkeepOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce().catch(() => undefined), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
    await this.deps.db.transaction((tx) => leaseRepository.release(tx, upkeepLease, this.deps.holder)).catch(() => undefined);
  }

  /** One pass, now; false when another replica holds the lease. Passes never overlap. */
  runOnce(): Promise<boolean> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<boolean> {
    const now = this.deps.now();
    const held = await this.deps.db.transaction((tx) => leaseRepository.acquire(tx, upkeepLease, this.deps.holder, now, now + 3 * this.options.intervalMs));
    if (!held) return false;
    for (const job of this.deps.jobs) {
      await job.run().catch((error: unknown) => this.deps.logger.warn("storage upkeep job failed", { job: job.name, error: String(error) }));
    }
    await this.deps.work.sweep().catch((error: unknown) => this.deps.logger.warn("storage work sweep failed", { error: String(error) }));
    if (now - this.lastUsageAt >= this.options.usageMs) {
      this.lastUsageAt = now;
      await this.recountSizes().catch((error: unknown) => this.deps.logger.warn("volume size recount failed", { error: String(error) }));
    }
    return true;
  }

  /** Pods write into volumes too: their sizes are counted again now and then. */
  private async recountSizes(): Promise<void> {
    for (const volume of await this.deps.db.read((m) => volumeRepository.available(m))) {
      const object = { kind: "volume" as const, tenantId: volume.tenantId, id: volume.volumeId, clusterId: volume.clusterId };
      const bytes = await this.deps.files.usage(object).catch(() => null);
      if (bytes === null || bytes === volume.sizeBytes) continue;
      await this.deps.db.transaction((tx) => volumeRepository.update(tx, volume.tenantId, volume.volumeId, { sizeBytes: bytes }));
    }
  }
}
