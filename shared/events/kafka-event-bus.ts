import { Kafka, logLevel, Partitioners, type Admin, type ICustomPartitioner, type Producer } from "kafkajs";
import type { Logger } from "../logging/logger.js";
import type { BusHandler, BusMessage, EventBus, SubscribeOptions, Subscription } from "./event-bus.js";
import { partitionOfKey, type Assignment } from "./key-partitions.js";
import { PipelinedDelivery } from "./pipelined-delivery.js";

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  /** Partitions and replication of topics this bus creates. */
  partitions: number;
  replicationFactor: number;
  /**
   * How long the broker waits for a silent consumer before giving its
   * partitions to another member of the group (kafkajs default: 30 s).
   */
  sessionTimeoutMs: number;
  logger: Logger;
}

/**
 * The event bus on Kafka, through kafkajs. kafkajs is no longer maintained,
 * so nothing outside this file touches it: the EventBus interface is the
 * whole contract. Publishing waits for every in-sync replica (acks -1) with
 * an idempotent producer. A consumer hands each message to its handler as
 * it arrives, while earlier messages of other keys are still being handled
 * (a key's messages wait for each other), and commits a partition's offset
 * only past messages whose handlers, and every earlier one's, resolved: a
 * message whose handler has not resolved is redelivered to the next holder
 * of its partition. Delivery is at least once, in order per key.
 */
export class KafkaEventBus implements EventBus {
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly subscriptions = new Set<Subscription>();
  private readonly knownTopics = new Set<string>();
  private connected: Promise<void> | null = null;

  constructor(private readonly options: KafkaBusOptions) {
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: logLevel.NOTHING,
      retry: { initialRetryTime: 250, retries: 8, maxRetryTime: 10_000 },
    });
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: keyPartitioner });
    this.admin = this.kafka.admin();
  }

  /** Connects and creates the topics that are missing. */
  async prepare(topics: string[]): Promise<void> {
    this.connected ??= Promise.all([this.producer.connect(), this.admin.connect()]).then(() => undefined);
    await this.connected;
    await this.ensureTopics(topics);
  }

  async ensureTopics(topics: string[]): Promise<void> {
    const missing = topics.filter((topic) => !this.knownTopics.has(topic));
    if (missing.length === 0) return;
    const existing = new Set(await this.admin.listTopics());
    const toCreate = missing.filter((topic) => !existing.has(topic));
    if (toCreate.length > 0) {
      await this.admin.createTopics({
        waitForLeaders: true,
        topics: toCreate.map((topic) => ({ topic, numPartitions: this.options.partitions, replicationFactor: this.options.replicationFactor })),
      });
      this.options.logger.info("kafka topics created", { topics: toCreate });
    }
    for (const topic of missing) this.knownTopics.add(topic);
  }

  async publish(messages: BusMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.prepare([...new Set(messages.map((m) => m.topic))]);
    const byTopic = new Map<string, { key: string; value: Buffer }[]>();
    for (const message of messages) {
      const list = byTopic.get(message.topic) ?? [];
      list.push({ key: message.key, value: Buffer.from(message.value) });
      byTopic.set(message.topic, list);
    }
    await this.producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list })) });
  }

  /** Asks the cluster for its brokers; fails when none answers within five seconds. */
  async ping(): Promise<void> {
    await this.prepare([]);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.admin.describeCluster(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("the Kafka brokers did not answer within 5 s")), 5_000))),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async subscribe(topic: string, group: string, handler: BusHandler, options: SubscribeOptions = {}): Promise<Subscription> {
    await this.prepare([topic]);
    const consumer = this.kafka.consumer({
      groupId: group,
      sessionTimeout: this.options.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(this.options.sessionTimeoutMs / 5)),
      allowAutoTopicCreation: false,
      retry: { initialRetryTime: 250, retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 10_000 },
    });
    let assignment: Assignment | null = null;
    let joins = 0;
    // Each join (the first, and every rebalance) hands this member its partitions.
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const join = ++joins;
      const partitions = [...(payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
      void this.partitionCount(topic).then(
        (partitionCount) => {
          if (join !== joins) return;
          assignment = { partitionCount, partitions };
          options.onAssignment?.(assignment);
        },
        (error: unknown) => this.options.logger.warn("cannot read the partition count of a topic", { topic, error: String(error) }),
      );
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const delivery = new PipelinedDelivery(handler, (offsets) => consumer.commitOffsets(offsets.map((offset) => ({ topic, ...offset }))), this.options.logger);
    consumer.on(consumer.events.GROUP_JOIN, () => delivery.rebalanced());
    await consumer.run({
      autoCommit: false,
      eachMessage: ({ partition, message, heartbeat }) =>
        delivery.deliver(partition, message.offset, { topic, key: message.key?.toString() ?? "", value: message.value ?? Buffer.alloc(0) }, heartbeat),
    });
    const subscription: Subscription = {
      assignment: () => assignment,
      lag: () => this.lagOf(group, topic, assignment?.partitions ?? []),
      close: async () => {
        this.subscriptions.delete(subscription);
        await delivery.stop();
        await consumer.disconnect();
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** How far the group's committed offsets trail the newest messages, on `partitions` of `topic`. */
  private async lagOf(group: string, topic: string, partitions: number[]): Promise<number> {
    if (partitions.length === 0) return 0;
    const [ends, committed] = await Promise.all([this.admin.fetchTopicOffsets(topic), this.admin.fetchOffsets({ groupId: group, topics: [topic] })]);
    const done = new Map((committed.find((t) => t.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    let lag = 0;
    for (const end of ends) {
      if (!partitions.includes(end.partition)) continue;
      const from = done.get(end.partition) ?? -1;
      lag += Math.max(0, Number(end.high) - (from >= 0 ? from : Number(end.low)));
    }
    return lag;
  }

  /** Partitions of `topic` as the brokers have it now (the producer spreads keys over all of them). */
  private async partitionCount(topic: string): Promise<number> {
    const metadata = await this.admin.fetchTopicMetadata({ topics: [topic] });
    const count = metadata.topics.find((t) => t.name === topic)?.partitions.length ?? 0;
    if (count === 0) throw new Error(`the brokers know no partitions of ${topic}`);
    return count;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.subscriptions].map((subscription) => subscription.close()));
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
  }
}

/**
 * Places a keyed message with partitionOfKey, the function agents use to pick
 * their share of a cluster's pods (it equals kafkajs's default choice).
 */
const keyPartitioner: ICustomPartitioner = () => {
  const unkeyed = Partitioners.DefaultPartitioner();
  return (args) => {
    const key = args.message.key;
    if (key === null || key === undefined) return unkeyed(args);
    return partitionOfKey(key.toString(), args.partitionMetadata.length);
  };
};
