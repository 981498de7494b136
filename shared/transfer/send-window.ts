/**
 * Flow control for a file moved in pieces over a stream shared with other
 * traffic (an agent's session): the sender keeps at most a window of bytes
 * unacknowledged, the receiver acknowledges how far it has come. Uploads
 * (control plane to agent) and downloads (agent to control plane) use the
 * same two halves, so no process ever holds more than a window of a file.
 */

/** Bytes a transfer may have in flight, unacknowledged. */
export const transferWindowBytes = 8 * 1024 * 1024;
/** A receiver acknowledges at least this often, so the sender's window keeps moving. */
export const acknowledgeEveryBytes = 1024 * 1024;
/** A receiver that frees no window for this long has stopped taking the transfer. */
export const transferStallMs = 120_000;

/** The sending half: `reserve` before each piece waits while a window is unacknowledged. */
export class SendWindow {
  private sent = 0;
  private acknowledged = 0;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;

  constructor(
    /** The error a stalled transfer fails with. */
    private readonly stalled: () => Error,
    private readonly windowBytes = transferWindowBytes,
    private readonly stallMs = transferStallMs,
  ) {}

  /** Waits until `bytes` more may be sent, then counts them as sent; throws once the transfer failed. */
  async reserve(bytes: number): Promise<void> {
    while (!this.failure && this.sent - this.acknowledged > this.windowBytes) await this.progress();
    if (this.failure) throw this.failure;
    this.sent += bytes;
  }

  /** The receiver has taken `total` bytes in all. */
  acknowledge(total: number): void {
    this.acknowledged = Math.max(this.acknowledged, total);
    this.release();
  }

  /** Ends the transfer: every wait, now and later, throws `error` (the first one given). */
  fail(error: Error): void {
    this.failure ??= error;
    this.release();
  }

  get error(): Error | null {
    return this.failure;
  }

  /** Bytes sent and not acknowledged yet. */
  get inFlight(): number {
    return this.sent - this.acknowledged;
  }

  private progress(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.fail(this.stalled()), this.stallMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private release(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

/** The receiving half: says when the bytes taken so far are due to be acknowledged. */
export class ReceiveCounter {
  private taken = 0;
  private reported = 0;

  constructor(private readonly everyBytes = acknowledgeEveryBytes) {}

  /** Counts `bytes` taken; true when an acknowledgement of `total` is due. */
  take(bytes: number): boolean {
    this.taken += bytes;
    if (this.taken - this.reported < this.everyBytes) return false;
    this.reported = this.taken;
    return true;
  }

  get total(): number {
    return this.taken;
  }
}

/**
 * The windows of an interactive exec session, each way: smaller than a
 * file's, as sessions are many and mostly carry keystrokes, yet wide enough
 * for a command's bulk output to flow.
 */
export const sessionWindowBytes = 1024 * 1024;
export const sessionAcknowledgeEveryBytes = 128 * 1024;
