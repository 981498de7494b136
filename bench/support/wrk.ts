import { spawn, spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tmpdir } from "node:os";

/** What one wrk run measured. */
export interface WrkFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Answers whose status was not 2xx, and socket errors (connect, read, write, timeout). */
  failures: number;
}

export interface WrkRun {
  url: string;
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
  /** A wrk Lua script (e.g. building a new body per request), written to a file for the run. */
  lua?: string;
}

/** Fails early, naming the package, when wrk is not installed. */
export function requireWrk(): void {
  if (spawnSync("wrk", ["--version"]).error) throw new Error("wrk is not installed (Debian: apt-get install wrk)");
}

/** Runs wrk (one thread: the machine's other core is the service's) and parses its report. */
export async function runWrk(run: WrkRun): Promise<WrkFigures> {
  const args = ["-t1", `-c${run.connections}`, `-d${run.seconds}s`, "--latency", "--timeout", "10s"];
  for (const [name, value] of Object.entries(run.headers ?? {})) args.push("-H", `${name}: ${value}`);
  if (run.lua) {
    const file = join(tmpdir(), `pods-bench-${process.pid}-${Date.now()}.lua`);
    await writeFile(file, run.lua);
    args.push("-s", file);
  }
  args.push(run.url);
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn("wrk", args, { stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}:\n${text}`))));
  });
  return parseWrk(output);
}

function parseWrk(output: string): WrkFigures {
  const number = (pattern: RegExp) => Number(pattern.exec(output)?.[1] ?? Number.NaN);
  const latency = (percent: number) => {
    const match = new RegExp(`^\\s*${percent}%\\s+([\\d.]+)(us|ms|s)\\s*$`, "m").exec(output);
    if (!match) return Number.NaN;
    const unit = { us: 0.001, ms: 1, s: 1000 }[match[2] as "us" | "ms" | "s"];
    return Math.round(Number(match[1]) * unit * 100) / 100;
  };
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const failures = number(/Non-2xx or 3xx responses: (\d+)/) || 0;
  return {
    requestsPerSecond: Math.round(number(/Requests\/sec:\s+([\d.]+)/)),
    p50Ms: latency(50),
    p99Ms: latency(99),
    requests: number(/(\d+) requests in/),
    failures: failures + (socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0),
  };
}
