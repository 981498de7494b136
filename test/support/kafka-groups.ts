import { AssignerProtocol, Kafka, logLevel, Partitioners, type Admin } from "kafkajs";

/**
 * What the Kafka broker says about a topic and the consumer group reading
 * it: how many partitions the topic has, which member holds which, and where
 * kafkajs' default partitioner (the one the service's producer uses) puts a key.
 */
export interface KafkaGroups {
  /** Partitions of `topic`, or 0 while it does not exist. */
  partitionCount(topic: string): Promise<number>;
  /** Each member of `groupId` and the partitions of `topic` it holds (none while the group rebalances). */
  assignment(groupId: string, topic: string): Promise<Map<string, number[]>>;
  close(): Promise<void>;
}

export async function connectKafkaGroups(brokers: string[]): Promise<KafkaGroups> {
  const admin: Admin = new Kafka({ clientId: "pods-test-inspector", brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  return {
    async partitionCount(topic) {
      if (!(await admin.listTopics()).includes(topic)) return 0;
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      return topics[0]?.partitions.length ?? 0;
    },
    async assignment(groupId, topic) {
      const { groups } = await admin.describeGroups([groupId]);
      const members = groups[0]?.members ?? [];
      return new Map(
        members.map((member) => {
          const decoded = member.memberAssignment.length > 0 ? AssignerProtocol.MemberAssignment.decode(member.memberAssignment) : null;
          return [member.memberId, [...(decoded?.assignment[topic] ?? [])].sort((a, b) => a - b)];
        }),
      );
    },
    close: () => admin.disconnect(),
  };
}

/** The partition the producer sends messages keyed `key` to, on a topic of `partitions` partitions. */
export function partitionOfKey(key: string, partitions: number): number {
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
  return Partitioners.DefaultPartitioner()({ topic: "any", partitionMetadata, message: { key, value: null } });
}
