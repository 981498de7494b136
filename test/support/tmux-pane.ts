import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { eventually } from "./eventually.js";

const run = promisify(execFile);

/**
 * One tmux window on a server of its own (its own socket), running a shell
 * with `env` as its whole environment, driven as a person at a terminal
 * would: keys go in with send-keys, the screen comes back with capture-pane.
 * The pane stays after its command exits, so a failure can still show the
 * screen.
 */
export class TmuxPane {
  private constructor(
    private readonly folder: string,
    private readonly socket: string,
  ) {}

  /** A shell (sh) of 100 x 30 whose prompt is `term$ `, waiting for its first command. */
  static async shell(env: Record<string, string>): Promise<TmuxPane> {
    const folder = await mkdtemp(join(tmpdir(), "pods-tmux-"));
    const profile = join(folder, "shrc");
    // sh sets its own prompt for root, but reads the file ENV names after that.
    await writeFile(profile, "PS1='term$ '\n");
    const pane = await TmuxPane.launch(folder, ["sh"], { ...env, ENV: profile }, 100, 30);
    await pane.waitFor("the shell's prompt", /term\$$/);
    return pane;
  }

  private static async launch(folder: string, command: string[], env: Record<string, string>, columns: number, rows: number): Promise<TmuxPane> {
    const config = join(folder, "tmux.conf");
    await writeFile(config, "set -g remain-on-exit on\nset -g status off\nset -g history-limit 5000\n");
    const pane = new TmuxPane(folder, join(folder, "socket"));
    await run("tmux", ["-S", pane.socket, "-f", config, "new-session", "-d", "-s", "t", "-x", String(columns), "-y", String(rows), ...command], {
      env: { ...env, TERM: "xterm-256color" },
    });
    return pane;
  }

  /** Types `text` as it is (no key names). */
  async type(text: string): Promise<void> {
    await this.tmux("send-keys", "-t", "t", "-l", text);
  }

  /** Presses keys by tmux's names: Enter, C-c, ... */
  async press(...keys: string[]): Promise<void> {
    await this.tmux("send-keys", "-t", "t", ...keys);
  }

  /** The window's size becomes `columns` x `rows`: the pane's command gets SIGWINCH. */
  async resize(columns: number, rows: number): Promise<void> {
    await this.tmux("resize-window", "-t", "t", "-x", String(columns), "-y", String(rows));
  }

  /** The screen and its history, lines joined where the terminal wrapped them, trailing blanks cut. */
  async screen(): Promise<string> {
    return (await this.tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "t")).replace(/\s+$/, "");
  }

  /** Polls the screen until it matches `pattern`. */
  async waitFor(what: string, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    try {
      return await eventually(what, async () => {
        const screen = await this.screen();
        return pattern.test(screen) && screen;
      }, timeoutMs);
    } catch (error) {
      throw new Error(`${(error as Error).message}; the screen:\n${await this.screen()}`);
    }
  }

  async dispose(): Promise<void> {
    await this.tmux("kill-server").catch(() => undefined);
    await rm(this.folder, { recursive: true, force: true });
  }

  private async tmux(...args: string[]): Promise<string> {
    return (await run("tmux", ["-S", this.socket, ...args])).stdout;
  }
}
