import { Gauge, Histogram, type Registry } from "prom-client";
import { latencyBuckets } from "../../shared/metrics/metrics-endpoint.js";
import type { AgentSessions } from "../agents/agent-sessions.js";
import type { Database } from "../storage/database.js";

/** What the control plane's parts record as they work. */
export interface ControlPlaneMetrics {
  /** Each RPC answered: its method and code. */
  rpc: Histogram<"procedure" | "code">;
  /** From an event's commit to the bus taking it. */
  eventDelivery: Histogram;
  /** Reports of an agent stored in one transaction. */
  reportBatch: Histogram;
}

/**
 * The control plane's metrics. Pods by status and cluster, the outbox and the
 * agent sessions are read when scraped; no label holds an id of a user's
 * object or a user.
 */
export function controlPlaneMetrics(
  registry: Registry,
  sources: {
    db: Database;
    sessions: AgentSessions;
    /** Exec sessions whose callers are connected to this replica. */
    relayedExecSessions: () => number;
  },
): ControlPlaneMetrics {
  new Gauge({
    name: "pods_pods",
    help: "Pods by cluster and status",
    labelNames: ["cluster", "status"],
    registers: [registry],
    async collect() {
      const rows = (await sources.db.read((m) => m.query("SELECT cluster_id, status, COUNT(*) AS n FROM pods GROUP BY cluster_id, status"))) as {
        cluster_id: string;
        status: string;
        n: number | string;
      }[];
      this.reset();
      for (const row of rows) this.set({ cluster: row.cluster_id, status: row.status }, Number(row.n));
    },
  });
  const outboxAge = new Gauge({ name: "pods_outbox_oldest_age_seconds", help: "Age of the oldest event not yet published (0 when none waits)", registers: [registry] });
  new Gauge({
    name: "pods_outbox_depth",
    help: "Events committed and not yet published",
    registers: [registry],
    async collect() {
      const [row] = (await sources.db.read((m) => m.query("SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox"))) as { n: number | string; oldest: number | string | null }[];
      this.set(Number(row?.n ?? 0));
      outboxAge.set(row?.oldest === null || row?.oldest === undefined ? 0 : Math.max(0, (Date.now() - Number(row.oldest)) / 1000));
    },
  });
  new Gauge({
    name: "pods_agent_sessions",
    help: "Agents with a session open on this replica, by cluster",
    labelNames: ["cluster"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [cluster, count] of sources.sessions.connectedByCluster()) this.set({ cluster }, count);
    },
  });
  new Gauge({
    name: "pods_agent_reports_waiting",
    help: "Reports read from agents connected to this replica and not yet stored, by cluster",
    labelNames: ["cluster"],
    registers: [registry],
    collect() {
      this.reset();
      for (const cluster of sources.sessions.connectedByCluster().keys()) {
        this.set({ cluster }, sources.sessions.agentsOf(cluster).reduce((sum, agent) => sum + agent.reportsWaiting, 0));
      }
    },
  });
  new Gauge({
    name: "pods_exec_sessions",
    help: "Interactive exec sessions open through this replica: hop=client, whose callers are connected here; hop=agent, carried to an agent connected here",
    labelNames: ["hop"],
    registers: [registry],
    collect() {
      this.set({ hop: "client" }, sources.relayedExecSessions());
      this.set({ hop: "agent" }, sources.sessions.execSessionsHeld().open);
    },
  });
  new Gauge({
    name: "pods_exec_stdin_unacknowledged_bytes",
    help: "Stdin of exec sessions sent to agents and not yet taken by their commands (at most a window per session)",
    registers: [registry],
    collect() {
      this.set(sources.sessions.execSessionsHeld().unacknowledgedStdinBytes);
    },
  });
  return {
    rpc: new Histogram({
      name: "pods_rpc_duration_seconds",
      help: "RPCs the control plane answered, by method and code",
      labelNames: ["procedure", "code"],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    eventDelivery: new Histogram({
      name: "pods_event_delivery_seconds",
      help: "Time from an event's commit to its publication on the bus",
      buckets: latencyBuckets,
      registers: [registry],
    }),
    reportBatch: new Histogram({
      name: "pods_agent_report_batch_size",
      help: "Reports of an agent stored together in one transaction",
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers: [registry],
    }),
  };
}
