/**
 * An async iterable whose producer waits: `put` resolves only once the
 * consumer has taken the item, so a slow consumer slows the producer and at
 * most one item waits in between.
 */
export class Handoff<T> implements AsyncIterable<T> {
  private offered: { item: T; taken: () => void } | null = null;
  private waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | null = null;
  private spaceWaiters: (() => void)[] = [];
  private ended = false;
  private failure: { error: unknown } | null = null;

  async put(item: T): Promise<void> {
    while (this.offered && !this.failure) await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    if (this.failure) throw this.failure.error;
    if (this.ended) throw new Error("handoff ended");
    await new Promise<void>((taken) => {
      if (this.waiting) {
        const { resolve } = this.waiting;
        this.waiting = null;
        resolve({ value: item, done: false });
        taken();
      } else {
        this.offered = { item, taken };
      }
    });
  }

  end(): void {
    this.ended = true;
    if (this.waiting && !this.offered) {
      const { resolve } = this.waiting;
      this.waiting = null;
      resolve({ value: undefined, done: true });
    }
  }

  fail(error: unknown): void {
    this.failure = { error };
    this.ended = true;
    for (const wake of this.spaceWaiters.splice(0)) wake();
    if (this.waiting) {
      const { reject } = this.waiting;
      this.waiting = null;
      reject(error);
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.offered) {
          const { item, taken } = this.offered;
          this.offered = null;
          taken();
          this.spaceWaiters.shift()?.();
          return Promise.resolve({ value: item, done: false });
        }
        if (this.failure) return Promise.reject(this.failure.error);
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
      },
      return: () => {
        this.fail(new Error("the consumer stopped reading"));
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
