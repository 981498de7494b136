import { PassThrough, type Writable } from "node:stream";
import type { InteractiveCommand, SessionCommand, SessionExit } from "./cluster-driver.js";

const prompt = "simulated$ ";
const exitLine = /^\s*exit(?:\s+(-?\d+))?\s*$/;

/**
 * The simulated cluster's stand-in for a command run interactively: nothing
 * runs, and it says so first; then it echoes each line it is given, never
 * pretending a command ran. In a terminal it acts as one: it echoes keys,
 * prompts, erases with backspace, answers Ctrl-C (and Ctrl-\) by dropping the
 * line, ends at Ctrl-D on an empty line and says when the window is
 * resized. `exit [code]` ends it with that code; so does the end of its
 * input (code 0).
 */
export class SimulatedEchoShell implements InteractiveCommand {
  readonly stdout = new PassThrough({ highWaterMark: 64 * 1024 });
  readonly stderr: PassThrough | null;
  readonly simulated = true;
  readonly exited: Promise<SessionExit>;
  private settle!: (exit: SessionExit) => void;
  private line = "";
  private over = false;

  constructor(private readonly command: SessionCommand) {
    this.stderr = command.tty ? null : new PassThrough({ highWaterMark: 64 * 1024 });
    this.exited = new Promise((resolve) => (this.settle = resolve));
    const notice = `[simulated] no command runs in the simulated cluster: ${JSON.stringify(command.argv)} did not run; this stand-in echoes each line`;
    if (command.tty) this.stdout.write(`${notice} you type, and 'exit [code]' ends it.\r\n${prompt}`);
    else this.stderr!.write(`${notice}.\n`);
  }

  async write(data: Uint8Array): Promise<void> {
    if (this.over) return;
    const text = Buffer.from(data).toString("utf8");
    if (this.command.tty) this.type(text);
    else this.pipe(text);
    await drained(this.stdout);
  }

  closeStdin(): void {
    if (this.over) return;
    if (!this.command.tty && this.line) this.stdout.write(this.line);
    this.exit(0);
  }

  resize(columns: number, rows: number): void {
    if (this.over || !this.command.tty) return;
    this.command.columns = columns;
    this.command.rows = rows;
    this.stdout.write(`\r\n[simulated] the window is now ${columns}x${rows}\r\n${prompt}${this.line}`);
  }

  close(): void {
    if (this.over) return;
    this.over = true;
    this.stdout.destroy();
    this.stderr?.destroy();
    this.settle({ exitCode: null, failure: "the session was closed" });
  }

  /** Keys typed into the terminal, one at a time. */
  private type(text: string): void {
    for (const key of text) {
      if (this.over) return;
      if (key === "\r" || key === "\n") {
        this.stdout.write("\r\n");
        this.enter(`${this.line}\r\n${prompt}`);
      } else if (key === "\x03" || key === "\x1c") {
        this.line = "";
        this.stdout.write(`${key === "\x03" ? "^C" : "^\\"}\r\n${prompt}`);
      } else if (key === "\x04") {
        if (!this.line) this.exit(0);
      } else if (key === "\x7f" || key === "\b") {
        if (!this.line) continue;
        this.line = [...this.line].slice(0, -1).join("");
        this.stdout.write("\b \b");
      } else {
        this.line += key;
        this.stdout.write(key);
      }
    }
  }

  /** Input from a pipe: whole lines are echoed as they complete. */
  private pipe(text: string): void {
    const lines = (this.line + text).split("\n");
    this.line = lines.pop()!;
    let echoed = "";
    for (const line of lines) {
      if (exitLine.test(line)) {
        this.stdout.write(echoed);
        this.line = line;
        this.enter("");
        return;
      }
      echoed += `${line}\n`;
    }
    if (echoed) this.stdout.write(echoed);
  }

  /** A whole line was entered: `exit [code]` ends the stand-in, anything else is echoed as `echo`. */
  private enter(echo: string): void {
    const line = this.line;
    this.line = "";
    const exit = exitLine.exec(line);
    if (exit) return this.exit(Number(exit[1] ?? 0));
    if (echo) this.stdout.write(echo);
  }

  private exit(code: number): void {
    this.over = true;
    this.stdout.end();
    this.stderr?.end();
    this.settle({ exitCode: code });
  }
}

/** Resolves once `stream` can take more, or is closed. */
function drained(stream: Writable): Promise<void> {
  if (!stream.writableNeedDrain || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.once("drain", done);
    stream.once("close", done);
  });
}
