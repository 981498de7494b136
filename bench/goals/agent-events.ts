import { fromBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { PodChangedSchema } from "../../gen/tapis/pods/v1/events_pb.js";
import { clusterCommandsTopic } from "../../shared/events/event-bus.js";
import { KafkaEventBus } from "../../shared/events/kafka-event-bus.js";
import { createJsonLogger } from "../../shared/logging/logger.js";
import type { Installation } from "../../test/support/installation.js";
import { underLoad } from "../support/machine.js";
import { summary } from "../stats.js";
import { loadSpan, percent, type GoalRow } from "./goal-row.js";
import { inParallel, names } from "./pods-at-once.js";
import { histogramOf, quantileOf, type Histogram } from "./scraped-histogram.js";

export interface AgentEventsOptions {
  creates: number;
  inFlight: number;
  kafka: string;
  log(line: string): void;
}

/**
 * The distributed installation (one control plane on MariaDB, Kafka, one
 * simulated agent): `creates` creates through the gateway, `inFlight` at a
 * time; commit (PodChanged.changed_at) → the agent process receiving the
 * event, from the agent's own histogram (pods_agent_event_received_seconds).
 * Peer: a bare consumer of the same topic in this process, the same events.
 */
export async function agentEventsGoal(installation: Installation, token: string, options: AgentEventsOptions): Promise<GoalRow[]> {
  const agentUrl = [...installation.agentHealthUrls.values()][0]!;
  const listener = new KafkaEventBus({
    brokers: options.kafka.split(","),
    clientId: "pods-bench-goals",
    partitions: 3,
    replicationFactor: 1,
    sessionTimeoutMs: 6_000,
    logger: createJsonLogger({ level: "silent" }),
  });
  try {
    const sideLatencies: number[] = [];
    let measuring = false;
    await listener.subscribe(clusterCommandsTopic(installation.clusters.a), "pods-bench-goals-latency", async (message) => {
      const event = fromBinary(PodChangedSchema, message.value);
      if (measuring && event.changedAt) sideLatencies.push(Date.now() - timestampMs(event.changedAt));
    });
    // Warm-up: connections, topics, consumer groups.
    await inParallel(names("eventwarm", 20), 10, (name) => installation.api("POST", "/v3/pods", token, { pod_id: name, template: "postgres" }));
    await installation.waitForStatus(token, "eventwarm19", "AVAILABLE", 60_000);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const before = await histogramOf(agentUrl, "pods_agent_event_received_seconds");
    // The relay's own histogram (commit → the broker took it) tells how much of the delay is before Kafka.
    const replicaUrl = installation.replicaUrls[0]!;
    const publishedBefore = await histogramOf(replicaUrl, "pods_event_delivery_seconds");
    measuring = true;
    let failures = 0;
    const started = performance.now();
    const measured = await underLoad(async () => {
      await inParallel(names("event", options.creates), options.inFlight, async (name) => {
        const answer = await installation.api("POST", "/v3/pods", token, { pod_id: name, template: "postgres" });
        if (answer.status !== 200) failures++;
      });
      const seconds = (performance.now() - started) / 1000;
      const deadline = Date.now() + 60_000;
      let after = await histogramOf(agentUrl, "pods_agent_event_received_seconds");
      while (after.count - before.count < options.creates && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        after = await histogramOf(agentUrl, "pods_agent_event_received_seconds");
      }
      return { seconds, after };
    });
    measuring = false;
    const received = difference(measured.after, before);
    const published = difference(await histogramOf(replicaUrl, "pods_event_delivery_seconds"), publishedBefore);
    const publishedText = `commit → published (the relay, all events): p50 ≈ ${(quantileOf(published, 0.5) * 1000).toFixed(0)} ms, p99 ≈ ${(quantileOf(published, 0.99) * 1000).toFixed(0)} ms`;
    const within = (bound: number) => (received.buckets.find((b) => b.le === bound)?.count ?? Number.NaN) / received.count;
    const within20 = within(0.02);
    const within100 = within(0.1);
    const p50 = quantileOf(received, 0.5) * 1000;
    const p99 = quantileOf(received, 0.99) * 1000;
    const side = summary(sideLatencies);
    options.log(
      `events: ${options.creates} creates ${options.inFlight} in flight at ${(options.creates / measured.seconds).toFixed(0)}/s; agent received ${received.count}: ` +
        `${percent(within20)} within 20 ms, ${percent(within100)} within 100 ms (p50 ≈ ${p50.toFixed(0)} ms, p99 ≈ ${p99.toFixed(0)} ms); side consumer p50 ${side.p50} ms p99 ${side.p99} ms; ${publishedText}; load ${measured.load[0]}–${measured.load[1]}`,
    );
    return [
      {
        goal: `Events, commit → the agent process receives its PodChanged (distributed, MariaDB, Kafka, ${options.inFlight} creates in flight): p50, p99`,
        figure:
          `p50 ≈ ${p50.toFixed(0)} ms, p99 ≈ ${p99.toFixed(0)} ms (agent's histogram, interpolated within buckets); ${percent(within20)} within 20 ms, ${percent(within100)} within 100 ms; ` +
          `${received.count} of ${options.creates} events at ${(options.creates / measured.seconds).toFixed(0)} creates/s${failures ? ` (${failures} creates failed)` : ""}`,
        peer: `a bare Kafka consumer of the same topic, same events: p50 ${side.p50} ms, p99 ${side.p99} ms; ${publishedText}`,
        ratio: `p50 ${(p50 / side.p50).toFixed(2)}× the bare consumer's`,
        target: "p50 ≤ 20 ms, p99 ≤ 100 ms",
        met: within20 >= 0.5 && within100 >= 0.99 && received.count >= options.creates && failures === 0,
        load: loadSpan([measured.load]),
      },
    ];
  } finally {
    await listener.close();
  }
}

function difference(after: Histogram, before: Histogram): Histogram {
  return { count: after.count - before.count, buckets: after.buckets.map((b, i) => ({ le: b.le, count: b.count - before.buckets[i]!.count })) };
}
