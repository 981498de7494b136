import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Partitioners } from "kafkajs";
import { holdsKey, murmur2, partitionOfKey } from "../../shared/events/key-partitions.js";

/** kafkajs's own choice for a keyed message on a topic of `count` partitions. */
function kafkajsPartition(key: string, count: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
  return partitioner({ topic: "t", partitionMetadata, message: { key, value: null } });
}

describe("key partitions", () => {
  it("choosesTheSamePartitionAsKafkajsForManyKeys", () => {
    const keys = [
      "",
      "a",
      "ab",
      "abc",
      "abcd",
      "dev/pod1",
      "tacc/neo4jdatabase",
      "tenant-ü/pöd",
      "日本/ポッド",
      ...Array.from({ length: 3000 }, (_, i) => `t${i % 7}/${randomBytes(1 + (i % 40)).toString(i % 2 ? "hex" : "latin1")}`),
    ];
    for (const count of [1, 2, 3, 6, 7, 12, 50, 1000]) {
      const differing = keys.filter((key) => partitionOfKey(key, count) !== kafkajsPartition(key, count));
      assert.deepEqual(differing, [], `${count} partitions`);
    }
  });

  it("matchesKafkasPublishedMurmur2Values", () => {
    // Values from Kafka's UtilsTest.testMurmur2 (the Java client).
    const cases: [string, number][] = [
      ["21", -973932308],
      ["foobar", -790332482],
      ["a-little-bit-long-string", -985981536],
      ["a-little-bit-longer-string", -1486304829],
      ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
      ["abc", 479470107],
    ];
    for (const [key, hash] of cases) assert.equal(murmur2(Buffer.from(key)), hash, key);
  });

  it("givesEveryKeyToExactlyOneMemberWhenTheMembersSplitThePartitions", () => {
    const members = [
      { partitionCount: 6, partitions: [0, 3] },
      { partitionCount: 6, partitions: [1, 4, 5] },
      { partitionCount: 6, partitions: [2] },
    ];
    for (let i = 0; i < 500; i++) {
      const key = `dev/pod${i}`;
      assert.equal(members.filter((member) => holdsKey(member, key)).length, 1, key);
    }
  });
});
