import { ConfigError } from "../config/env-reader.js";

/**
 * Runs a process's start-up. A bad configuration exits with code 2 and the
 * message naming each variable; any other failure to start exits with 1 and
 * the stack.
 */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
