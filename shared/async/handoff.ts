import { ParkedRead } from "./parked-read.js";

/**
 * An async iterable whose producer waits: `put` resolves only once the
 * consumer has taken the item, so a slow consumer slows the producer and at
 * most one item waits in between. A failure, or a consumer that stops or
 * throws, refuses the waiting put and every later one.
 */
export class Handoff<T> implements AsyncIterable<T> {
  private offered: { item: T; taken: () => void; refused: (error: unknown) => void } | null = null;
  private readonly reader = new ParkedRead<T>();
  private spaceWaiters: (() => void)[] = [];
  private ended = false;
  private failure: { error: unknown } | null = null;

  async put(item: T): Promise<void> {
    while (this.offered && !this.failure) await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    if (this.failure) throw this.failure.error;
    if (this.ended) throw new Error("handoff ended");
    await new Promise<void>((taken, refused) => {
      if (this.reader.waiting) {
        this.reader.deliver(item);
        taken();
      } else {
        this.offered = { item, taken, refused };
      }
    });
  }

  end(): void {
    this.ended = true;
    if (!this.offered) this.reader.finish();
  }

  fail(error: unknown): void {
    if (this.failure) return;
    this.failure = { error };
    this.ended = true;
    this.offered?.refused(error);
    this.offered = null;
    for (const wake of this.spaceWaiters.splice(0)) wake();
    this.reader.fail(error);
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
        return this.reader.wait();
      },
      return: () => {
        this.fail(new Error("the consumer stopped reading"));
        return Promise.resolve({ value: undefined, done: true });
      },
      // Callers such as Connect's transports require throw() on a request stream.
      throw: (error?: unknown) => {
        this.fail(error);
        return Promise.reject(error);
      },
    };
  }
}
