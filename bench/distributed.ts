import { fromBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { cpus, totalmem } from "node:os";
import { PodChangedSchema } from "../gen/tapis/pods/v1/events_pb.js";
import { clusterCommandsTopic } from "../shared/events/event-bus.js";
import { KafkaEventBus } from "../shared/events/kafka-event-bus.js";
import { createJsonLogger } from "../shared/logging/logger.js";
import { startInstallation } from "../test/support/installation.js";
import { round, summary } from "./stats.js";

/**
 * The distributed installation (two control-plane replicas on MariaDB, Kafka,
 * a gateway, two agents): creates per second through the gateway, and how
 * long a committed change takes to reach a consumer of its cluster's topic
 * (commit time is PodChanged.changed_at). Needs PODS_TEST_MYSQL_URL and
 * PODS_TEST_KAFKA (scripts/infra). Usage: node dist/bench/distributed.js [pods] [concurrency]
 */
async function main(): Promise<void> {
  const pods = Number(process.argv[2] ?? 1000);
  const concurrency = Number(process.argv[3] ?? 50);
  const installation = await startInstallation({
    replicas: 2,
    agents: [
      { name: "agent-a1", cluster: "a", replicas: [0, 1] },
      { name: "agent-a2", cluster: "a", replicas: [1, 0] },
    ],
  });
  const listener = new KafkaEventBus({
    brokers: process.env.PODS_TEST_KAFKA!.split(","),
    clientId: "pods-bench",
    partitions: 3,
    replicationFactor: 1,
    sessionTimeoutMs: 6_000,
    logger: createJsonLogger({ level: "silent" }),
  });
  try {
    const latencies: number[] = [];
    await listener.subscribe(clusterCommandsTopic(installation.clusters.a), "pods-bench-latency", async (message) => {
      const event = fromBinary(PodChangedSchema, message.value);
      if (event.changedAt) latencies.push(Date.now() - timestampMs(event.changedAt));
    });
    const token = await installation.token("bench");
    // Warm up connections, topics and the consumer groups before measuring.
    await installation.api("POST", "/v3/pods", token, { pod_id: "warmup", template: "postgres" });
    await installation.waitForStatus(token, "warmup", "AVAILABLE", 60_000);
    latencies.length = 0;

    let next = 0;
    let failed = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < pods) {
          const index = next++;
          const answer = await installation.api("POST", "/v3/pods", token, { pod_id: `bench${index}`, template: "postgres" });
          if (answer.status !== 200) failed++;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const deadline = Date.now() + 60_000;
    while (latencies.length < pods && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));

    const report = {
      machine: `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      setup: "2 control-plane replicas (MariaDB 10.11), Kafka 4.2 (one broker), 1 gateway, 2 simulated agents; all on this machine",
      creates: pods,
      concurrency,
      failed,
      createsPerSecond: round(pods / seconds),
      commitToTopicConsumerMs: summary(latencies),
      eventsSeen: latencies.length,
    };
    process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  } finally {
    await listener.close();
    await installation.stop();
  }
}


main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
