/**
 * The one `next()` a consumer of an async iterable may leave waiting while
 * nothing is ready; whoever produces settles it.
 */
export class ParkedRead<T> {
  private parked: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | null = null;

  get waiting(): boolean {
    return this.parked !== null;
  }

  wait(): Promise<IteratorResult<T>> {
    return new Promise((resolve, reject) => (this.parked = { resolve, reject }));
  }

  deliver(value: T): void {
    this.take()?.resolve({ value, done: false });
  }

  finish(): void {
    this.take()?.resolve({ value: undefined, done: true });
  }

  fail(error: unknown): void {
    this.take()?.reject(error);
  }

  private take() {
    const parked = this.parked;
    this.parked = null;
    return parked;
  }
}
