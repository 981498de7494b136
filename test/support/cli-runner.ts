import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { eventually } from "./eventually.js";

/** The built `pods` bin. */
export const cliMain = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "cli", "main.js");

/** How one run of `pods` ended. */
export interface CliRun {
  code: number | null;
  stdout: string;
  /** Standard output as bytes, for binary output. */
  stdoutBytes: Buffer;
  stderr: string;
}

export interface RunOptions {
  /** Written to standard input, which is then closed (closed at once without it). */
  input?: string;
  /** Set over the runner's environment; undefined removes a variable. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
  /** Leaves standard input open (for `start`), to be written and ended by the test. */
  keepStdinOpen?: boolean;
}

/** A `pods` process still running (e.g. `logs -f`). */
export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Polls until standard output matches `pattern`; fails at once if the process has exited without it. */
  waitForStdout(what: string, pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM, then how it ended. */
  stop(): Promise<CliRun>;
  /** Resolves when it exits by itself. */
  exited: Promise<CliRun>;
}

/**
 * Runs the built `pods` bin (dist/cli/main.js) as a child process, as a user
 * would, with its own HOME and XDG_CONFIG_HOME so no real login is touched,
 * and PODS_URL pointing at `baseUrl`. Processes are spawned asynchronously:
 * the service under test may run in this very process and must keep answering.
 */
export class CliRunner {
  private constructor(
    readonly home: string,
    readonly configHome: string,
    private readonly baseEnv: Record<string, string>,
  ) {}

  static async create(baseUrl: string): Promise<CliRunner> {
    const home = await mkdtemp(join(tmpdir(), "pods-cli-home-"));
    const configHome = join(home, "config");
    return new CliRunner(home, configHome, { PATH: process.env.PATH ?? "", HOME: home, XDG_CONFIG_HOME: configHome, PODS_URL: baseUrl });
  }

  /** The environment `pods` runs with: its own HOME and config folder, PODS_URL and PATH. */
  get environment(): Record<string, string> {
    return { ...this.baseEnv };
  }

  /** The saved logins file. */
  get loginsFile(): string {
    return join(this.configHome, "tapis-pods", "logins.json");
  }

  run(args: string[], options: RunOptions & { program?: string[] } = {}): Promise<CliRun> {
    const running = this.start(args, options);
    const timeoutMs = options.timeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        running.child.kill("SIGKILL");
        reject(new Error(`pods ${args.join(" ")} did not finish in ${timeoutMs} ms; stdout: ${running.stdout()} stderr: ${running.stderr()}`));
      }, timeoutMs);
    });
    return Promise.race([running.exited, expired]).finally(() => clearTimeout(timer));
  }

  /**
   * Runs `pods` on a pseudo-terminal (util-linux `script`), as a user at a
   * terminal would see it; standard output and error arrive mixed in `stdout`.
   */
  runOnTerminal(args: string[], options: RunOptions = {}): Promise<CliRun> {
    const command = [process.execPath, cliMain, ...args].map((word) => `'${word.replace(/'/g, "'\\''")}'`).join(" ");
    return this.run(args, { ...options, program: ["script", "-q", "-e", "-c", command, "/dev/null"] });
  }

  start(args: string[], options: RunOptions & { program?: string[] } = {}): RunningCli {
    const env: Record<string, string> = { ...this.baseEnv };
    for (const [name, value] of Object.entries(options.env ?? {})) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
    const [program, ...programArgs] = options.program ?? [process.execPath, cliMain, ...args];
    const child = spawn(program!, programArgs, { env, cwd: options.cwd ?? this.home, stdio: ["pipe", "pipe", "pipe"] });
    const stdoutChunks: Buffer[] = [];
    const stdoutText = () => Buffer.concat(stdoutChunks).toString("utf8");
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => stdoutChunks.push(chunk));
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.stdin!.on("error", () => {});
    if (!options.keepStdinOpen) child.stdin!.end(options.input ?? "");
    let closed = false;
    const exited = new Promise<CliRun>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (code) => {
        closed = true;
        resolve({ code, stdout: stdoutText(), stdoutBytes: Buffer.concat(stdoutChunks), stderr });
      });
    });
    return {
      child,
      stdout: stdoutText,
      stderr: () => stderr,
      waitForStdout: (what, pattern, timeoutMs = 15_000) =>
        eventually(
          what,
          async () => {
            const stdout = stdoutText();
            if (pattern.test(stdout)) return stdout;
            if (closed) throw new Error(`pods exited (${child.exitCode ?? child.signalCode}) before ${what}`);
            return undefined;
          },
          timeoutMs,
        ).catch((error: Error) => {
          throw new Error(`${error.message}; stdout so far: ${JSON.stringify(stdoutText())}, stderr: ${JSON.stringify(stderr)}`);
        }),
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
        return exited;
      },
      exited,
    };
  }

  /** Logs in as a dev user of the service whose data folder is `dataDir` (password on standard input). */
  async login(dataDir: string, username: string): Promise<CliRun> {
    const password = await devPassword(dataDir, username);
    const run = await this.run(["login", username], { input: `${password}\n` });
    if (run.code !== 0) throw new Error(`pods login ${username} failed (${run.code}): ${run.stderr}`);
    return run;
  }

  async dispose(): Promise<void> {
    await rm(this.home, { recursive: true, force: true });
  }
}

/** The password of a dev user, from the service's dev-users.json. */
export async function devPassword(dataDir: string, username: string): Promise<string> {
  const users = JSON.parse(await readFile(join(dataDir, "dev-users.json"), "utf8")) as Record<string, string>;
  const password = users[username];
  if (!password) throw new Error(`no dev user ${username}`);
  return password;
}
