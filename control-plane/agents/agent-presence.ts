import { MoreThan, Not } from "typeorm";
import type { Logger } from "../../shared/logging/logger.js";
import type { Database } from "../storage/database.js";
import { AgentPresenceEntity } from "../storage/entities/agent-presence-entity.js";

/**
 * Records in the database which clusters have agents connected to this
 * replica, so other replicas know where to forward exec and uploads. Rows
 * are refreshed by a heartbeat; a replica that died stops refreshing and its
 * rows go stale after `staleMs`.
 */
export class AgentPresence {
  private readonly counts = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: { db: Database; now: () => number; logger: Logger },
    private readonly replica: { id: string; url: string },
    private readonly timing = { heartbeatMs: 10_000, staleMs: 30_000 },
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.heartbeat(), this.timing.heartbeatMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    const clusters = [...this.counts.keys()];
    this.counts.clear();
    await this.deps.db.transaction((tx) => Promise.all(clusters.map((clusterId) => tx.delete(AgentPresenceEntity, { replicaId: this.replica.id, clusterId })))).catch(() => undefined);
  }

  /** An agent of `clusterId` connected here; the returned function records that it left. */
  connected(clusterId: string): () => void {
    this.counts.set(clusterId, (this.counts.get(clusterId) ?? 0) + 1);
    void this.write(clusterId);
    return () => {
      const left = (this.counts.get(clusterId) ?? 1) - 1;
      if (left > 0) return void this.counts.set(clusterId, left);
      this.counts.delete(clusterId);
      void this.deps.db.transaction((tx) => tx.delete(AgentPresenceEntity, { replicaId: this.replica.id, clusterId })).catch(() => undefined);
    };
  }

  /** The URL of another live replica holding an agent of `clusterId`, if any. */
  async elsewhere(clusterId: string): Promise<string | undefined> {
    const rows = await this.deps.db.read((m) =>
      m.find(AgentPresenceEntity, { where: { clusterId, replicaId: Not(this.replica.id), heartbeatAt: MoreThan(this.deps.now() - this.timing.staleMs) } }),
    );
    return rows.length === 0 ? undefined : rows[Math.floor(Math.random() * rows.length)]!.replicaUrl;
  }

  private async heartbeat(): Promise<void> {
    for (const clusterId of this.counts.keys()) await this.write(clusterId);
  }

  private async write(clusterId: string): Promise<void> {
    try {
      await this.deps.db.transaction((tx) =>
        tx.upsert(
          AgentPresenceEntity,
          { replicaId: this.replica.id, clusterId, replicaUrl: this.replica.url, heartbeatAt: this.deps.now() },
          ["replicaId", "clusterId"],
        ),
      );
    } catch (error) {
      this.deps.logger.warn("could not record agent presence", { clusterId, error: String(error) });
    }
  }
}
