import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const distRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A process of the benchmark (a service under test, a peer) that printed one JSON line when ready. */
export interface BenchChild<T> {
  ready: T;
  child: ChildProcess;
  /** Resident set size (VmRSS) now, in MiB. */
  rssMiB(): number;
  stop(): Promise<void>;
}

/**
 * Starts `node [nodeArgs] dist/<script> [args]` and waits for the first line
 * it prints on stdout, parsed as JSON.
 */
export async function startBenchChild<T>(script: string, args: string[], env: Record<string, string> = {}, nodeArgs: string[] = [], timeoutMs = 300_000): Promise<BenchChild<T>> {
  const child = spawn(process.execPath, [...nodeArgs, join(distRoot, script), ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let errors = "";
  child.stderr.on("data", (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-8192)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = await new Promise<T>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${script} was not ready after ${timeoutMs} ms:\n${errors}`)), timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf("\n");
      if (newline < 0) return;
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out.slice(0, newline)) as T);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before it was ready:\n${errors}`));
    });
  });
  return {
    ready,
    child,
    rssMiB: () => rssMiBOf(child.pid!),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** VmRSS of a process, in MiB. */
export function rssMiBOf(pid: number): number {
  const status = readStatus(pid);
  const kib = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return Math.round(kib / 102.4) / 10;
}

function readStatus(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return "";
  }
}
