import type { EnvReader } from "../config/env-reader.js";
import type { Logger } from "../logging/logger.js";
import type { EventBus } from "./event-bus.js";
import { InProcessEventBus } from "./in-process-event-bus.js";
import { KafkaEventBus } from "./kafka-event-bus.js";

export type BusConfig =
  | { kind: "in-process" }
  | { kind: "kafka"; brokers: string[]; partitions: number; replicationFactor: number; sessionTimeoutMs: number };

/** PODS_KAFKA_BROKERS selects Kafka; without it, events stay inside the process. */
export function readBusConfig(env: EnvReader): BusConfig {
  const brokers = env.list("PODS_KAFKA_BROKERS", "");
  if (brokers.length === 0) return { kind: "in-process" };
  return {
    kind: "kafka",
    brokers,
    partitions: env.int("PODS_KAFKA_PARTITIONS", 6, { min: 1, max: 1000 }),
    replicationFactor: env.int("PODS_KAFKA_REPLICATION", 1, { min: 1, max: 10 }),
    sessionTimeoutMs: env.int("PODS_KAFKA_SESSION_TIMEOUT_MS", 10_000, { min: 6_000, max: 300_000 }),
  };
}

export function createEventBus(config: BusConfig, clientId: string, logger: Logger): EventBus {
  if (config.kind === "in-process") {
    return new InProcessEventBus({ onHandlerError: (error) => logger.warn("event handler failed", { error: String(error) }) });
  }
  return new KafkaEventBus({ ...config, clientId, logger });
}
