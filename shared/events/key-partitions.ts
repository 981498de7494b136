/**
 * Which partition of a topic a message key lands on: Kafka's default
 * partitioner (murmur2 of the key's UTF-8 bytes, made positive, modulo the
 * partition count), as the Java client and kafkajs 2.x compute it. The
 * producer places events with this function and agents pick their share of a
 * cluster's pods with it, so both always agree on who holds a key.
 */
export function partitionOfKey(key: string, partitionCount: number): number {
  return (murmur2(Buffer.from(key, "utf8")) & 0x7fffffff) % partitionCount;
}

/** The share of a topic's keys one member of a consumer group receives. */
export interface Assignment {
  /** Partitions of the topic; keys are spread over all of them. */
  partitionCount: number;
  /** The partitions this member holds (may be none). */
  partitions: number[];
}

/** Whether `key` falls on one of the assignment's partitions. */
export function holdsKey(assignment: Assignment, key: string): boolean {
  return assignment.partitions.includes(partitionOfKey(key, assignment.partitionCount));
}

const seed = 0x9747b28c;
const m = 0x5bd1e995;

/** murmur2 as in Kafka's Utils.murmur2: a signed 32-bit hash. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = seed ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= data[whole + 2]! << 16;
  if (rest >= 2) h ^= data[whole + 1]! << 8;
  if (rest >= 1) h = Math.imul(h ^ data[whole]!, m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}
