import { ParkedRead } from "./parked-read.js";

/**
 * An async iterable fed by `push`; iteration ends after `end()` once drained,
 * or throws the error given to `fail()`.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private readonly reader = new ParkedRead<T>();
  private ended = false;
  private failure: { error: unknown } | null = null;

  push(item: T): void {
    if (this.ended) return;
    if (this.reader.waiting) this.reader.deliver(item);
    else this.items.push(item);
  }

  end(): void {
    this.ended = true;
    this.reader.finish();
  }

  /** Ends iteration with `error`, once the items already pushed are taken. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.failure = { error };
    this.ended = true;
    this.reader.fail(error);
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
        if (this.failure) return Promise.reject(this.failure.error);
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return this.reader.wait();
      },
      return: () => {
        this.end();
        return Promise.resolve({ value: undefined, done: true });
      },
      throw: (error?: unknown) => {
        this.end();
        return Promise.reject(error);
      },
    };
  }
}
