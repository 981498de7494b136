import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { latencyBuckets } from "../../shared/metrics/metrics-endpoint.js";
import type { SyncOutcome } from "../drivers/cluster-driver.js";

/** What the agent's parts record as they work; no label names a pod. */
export interface AgentMetrics {
  /** Runs `sync` and records how long it took and how it ended. */
  timeSync(sync: () => Promise<SyncOutcome>): Promise<SyncOutcome>;
  /** One request to the Kubernetes API, by verb and object kind. */
  kubernetesCall(verb: string, kind: string, seconds: number): void;
  /** A PodChanged reached this agent, `seconds` after its change was committed. */
  eventReceived(seconds: number): void;
}

// The bounds of the events goal (20 ms, 100 ms) are buckets of their own, so a scrape tells whether it is met.
const receivedBuckets = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** What the agent's interactive exec sessions hold, read when scraped. */
export interface ExecSessionsHeld {
  readonly open: number;
  readonly unacknowledgedOutputBytes: number;
}

/** What waits in the agent, read when scraped. */
export interface AgentBacklog {
  /** Pods queued for a sync or being synced. */
  readonly syncsWaiting: number;
  /** Reports sent to the control plane and not yet acknowledged. */
  readonly reportsUnacknowledged: number;
}

/** The agent's metrics; `lag` tells, when scraped, how many of its events wait. */
export function agentMetrics(registry: Registry, lag: () => Promise<number>, sessions: ExecSessionsHeld, backlog: AgentBacklog): AgentMetrics {
  const syncs = new Histogram({
    name: "pods_reconcile_duration_seconds",
    help: "Syncs of one pod with its cluster, by outcome (done, requeue, terminal, error)",
    labelNames: ["outcome"],
    buckets: latencyBuckets,
    registers: [registry],
  });
  const errors = new Counter({ name: "pods_reconcile_errors_total", help: "Syncs that failed and will be retried", registers: [registry] });
  const kubernetes = new Histogram({
    name: "pods_kubernetes_request_duration_seconds",
    help: "Requests to the Kubernetes API, by verb and kind",
    labelNames: ["verb", "kind"],
    buckets: latencyBuckets,
    registers: [registry],
  });
  const received = new Histogram({
    name: "pods_agent_event_received_seconds",
    help: "Time from a pod change's commit (the event's changed_at) to this agent receiving its PodChanged",
    buckets: receivedBuckets,
    registers: [registry],
  });
  new Gauge({
    name: "pods_event_consumer_lag",
    help: "Events of this agent's share of its cluster's topic not handled yet",
    registers: [registry],
    async collect() {
      this.set(await lag().catch(() => 0));
    },
  });
  new Gauge({
    name: "pods_agent_syncs_waiting",
    help: "Pods this agent has queued for a sync or is syncing",
    registers: [registry],
    collect() {
      this.set(backlog.syncsWaiting);
    },
  });
  new Gauge({
    name: "pods_agent_reports_unacknowledged",
    help: "Status observations and log chunks this agent sent to the control plane that it has not acknowledged yet",
    registers: [registry],
    collect() {
      this.set(backlog.reportsUnacknowledged);
    },
  });
  new Gauge({
    name: "pods_agent_exec_sessions",
    help: "Interactive exec sessions open in this agent, each with a connection to its container",
    registers: [registry],
    collect() {
      this.set(sessions.open);
    },
  });
  new Gauge({
    name: "pods_agent_exec_output_unacknowledged_bytes",
    help: "Output of exec sessions sent to the control plane and not yet passed on by it (at most a window per session)",
    registers: [registry],
    collect() {
      this.set(sessions.unacknowledgedOutputBytes);
    },
  });
  return {
    async timeSync(sync) {
      const end = syncs.startTimer();
      try {
        const outcome = await sync();
        end({ outcome: outcome.kind });
        return outcome;
      } catch (error) {
        end({ outcome: "error" });
        errors.inc();
        throw error;
      }
    },
    kubernetesCall: (verb, kind, seconds) => kubernetes.observe({ verb, kind }, seconds),
    // Clocks of different machines may disagree: a change "received before it was committed" counts as 0.
    eventReceived: (seconds) => received.observe(Math.max(0, seconds)),
  };
}
