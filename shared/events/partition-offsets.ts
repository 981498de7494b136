interface PartitionState {
  /** Offsets handed to handlers and not yet committable, in the order they were started. */
  started: bigint[];
  /** Index in `started` of the oldest one not known to be finished. */
  head: number;
  finished: Set<bigint>;
  /** The next offset to commit, when it moved since it was last taken. */
  committable: bigint | null;
}

/**
 * What a consumer that handles several messages of a partition at once may
 * commit: one past the last message of the run, from the start, whose
 * handlers have all finished. A message whose handler has not finished is
 * never committed, so a consumer that dies redelivers it to the next one.
 */
export class PartitionOffsets {
  private partitions = new Map<number, PartitionState>();
  /** Counts rebalances: a handler started under an earlier one finishes without effect. */
  generation = 0;

  /** Messages started and not yet finished, over every partition. */
  get inFlight(): number {
    let sum = 0;
    for (const state of this.partitions.values()) sum += state.started.length - state.head - state.finished.size;
    return sum;
  }

  started(partition: number, offset: string): void {
    let state = this.partitions.get(partition);
    if (!state) this.partitions.set(partition, (state = { started: [], head: 0, finished: new Set(), committable: null }));
    state.started.push(BigInt(offset));
  }

  finished(partition: number, offset: string, generation = this.generation): void {
    if (generation !== this.generation) return;
    const state = this.partitions.get(partition);
    if (!state) return;
    state.finished.add(BigInt(offset));
    while (state.head < state.started.length && state.finished.delete(state.started[state.head]!)) {
      state.committable = state.started[state.head]! + 1n;
      state.head++;
    }
    if (state.head > 1024 && state.head * 2 > state.started.length) {
      state.started = state.started.slice(state.head);
      state.head = 0;
    }
  }

  /** The offsets to commit that moved since the last call. */
  takeCommittable(): { partition: number; offset: string }[] {
    const out: { partition: number; offset: string }[] = [];
    for (const [partition, state] of this.partitions) {
      if (state.committable === null) continue;
      out.push({ partition, offset: state.committable.toString() });
      state.committable = null;
    }
    return out;
  }

  /** The group rebalanced: the broker hands partitions out again from their committed offsets. */
  reset(): void {
    this.partitions = new Map();
    this.generation++;
  }
}
