import { spawn, type ChildProcess } from "node:child_process";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Logger } from "../../shared/logging/logger.js";

/**
 * One nginx master run in the foreground as this process's child, with its
 * prefix and configuration file given; reloads by signal.
 */
export class NginxProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private onDeath: (reason: string) => void = () => undefined;
  /** Resolves with the reason when nginx exits without being asked to. */
  readonly died = new Promise<string>((resolve) => (this.onDeath = resolve));

  constructor(
    private readonly bin: string,
    private readonly runDir: string,
    private readonly configFile: string,
    private readonly logger: Logger,
  ) {}

  /** Checks a configuration file as nginx reads it; resolves with nginx's complaint, or null. */
  async test(configFile: string): Promise<string | null> {
    try {
      await promisify(execFile)(this.bin, ["-t", "-q", "-e", "stderr", "-p", this.runDir, "-c", configFile], { timeout: 30_000 });
      return null;
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr;
      return (stderr || String(error)).trim().slice(0, 2000);
    }
  }

  start(): void {
    const child = spawn(this.bin, ["-e", "stderr", "-p", this.runDir, "-c", this.configFile, "-g", "daemon off;"], { stdio: ["ignore", "ignore", "pipe"] });
    child.stderr!.setEncoding("utf8").on("data", (text: string) => this.logger.warn("nginx", { output: text.trim() }));
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    child.once("exit", (code, signal) => {
      if (this.child !== child) return;
      this.child = null;
      this.logger.error("nginx exited", { code, signal });
      this.onDeath(`nginx exited (${signal ?? `code ${code}`})`);
    });
    this.child = child;
  }

  /** Makes the running master read its configuration again (new workers take over gracefully). */
  reload(): void {
    this.child?.kill("SIGHUP");
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Stops gracefully: connections in flight finish (SIGQUIT), within `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    child.kill("SIGQUIT");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
