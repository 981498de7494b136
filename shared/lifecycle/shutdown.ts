import type { EnvReader } from "../config/env-reader.js";

/** PODS_SHUTDOWN_GRACE_SECONDS: how long a stopping process lets work in flight finish. */
export function readShutdownGraceMs(env: EnvReader): number {
  return env.int("PODS_SHUTDOWN_GRACE_SECONDS", 10, { min: 0, max: 3600 }) * 1000;
}

/** Past the grace period, this much more for the rest of the shutdown before the process exits anyway. */
const hardStopMarginMs = 10_000;

/**
 * Runs `stop` once on the first SIGINT or SIGTERM, then exits. A second
 * signal while stopping exits at once; so does a stop that outlasts the grace
 * period by a margin, so nothing left open can keep the process alive.
 */
export function stopOnSignals(stop: () => Promise<void>, log: (message: string) => void, graceMs: number): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    log(`received ${signal}, shutting down`);
    setTimeout(() => {
      log(`shutdown did not finish within ${Math.round((graceMs + hardStopMarginMs) / 1000)} s; exiting`);
      process.exit(1);
    }, graceMs + hardStopMarginMs).unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log(`shutdown failed: ${error instanceof Error ? error.stack : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", handle);
  process.once("SIGTERM", handle);
}
