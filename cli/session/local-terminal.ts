/**
 * The local terminal in raw mode for the length of a session: every key
 * (Ctrl-C included) goes to the pod's terminal as a byte, nothing is echoed
 * here. `restore` puts it back as it was, and runs however the process
 * leaves (an exception, `process.exit`), so the shell is never left raw.
 */
export class LocalTerminal {
  private restored = false;
  private readonly onExit = () => this.restore();

  private constructor(private readonly input: NodeJS.ReadStream) {
    input.setRawMode(true);
    process.once("exit", this.onExit);
  }

  /** Raw mode on `input` when it is a terminal; null otherwise. */
  static enter(input: NodeJS.ReadStream = process.stdin): LocalTerminal | null {
    return input.isTTY ? new LocalTerminal(input) : null;
  }

  /** The size of the terminal `output` is, or 0 x 0 (the service's default) when it is none. */
  static sizeOf(output: NodeJS.WriteStream = process.stdout): { columns: number; rows: number } {
    return output.isTTY ? { columns: output.columns, rows: output.rows } : { columns: 0, rows: 0 };
  }

  restore(): void {
    if (this.restored) return;
    this.restored = true;
    process.off("exit", this.onExit);
    this.input.setRawMode(false);
  }
}
