import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";

/** The machine a figure was measured on. */
export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/** The one-minute load average now: other work on the machine moves every figure. */
export function loadAverage(): number {
  return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
}

/** Runs `measure`, noting the load average at its start and end. */
export async function underLoad<T>(measure: () => Promise<T>): Promise<T & { load: [number, number] }> {
  const start = loadAverage();
  const figures = await measure();
  return { ...figures, load: [start, loadAverage()] };
}

/** CPU time (user + system) a process has used so far, in milliseconds. */
export function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  // utime and stime are fields 14 and 15 of the line, counted in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
