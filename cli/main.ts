#!/usr/bin/env node
import { CommanderError } from "commander";
import { CliError, describeCause } from "./cli-error.js";
import { ExitCode } from "./exit-codes.js";
import { createProgram } from "./program.js";

/** Runs `pods` and sets the exit code its outcome calls for (see exit-codes.ts). */
async function main(): Promise<void> {
  // A reader that stops early (`pods ls | head -1`) is no failure of ours.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(process.exitCode ?? ExitCode.ok);
  });
  try {
    await createProgram().parseAsync(process.argv);
    process.exitCode = ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander printed its message (or the help) already.
      process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    } else if (error instanceof CliError) {
      if (error.message) process.stderr.write(`pods: ${error.message}\n`);
      process.exitCode = error.exitCode;
    } else {
      process.stderr.write(`pods: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : describeCause(error)}\n`);
      process.exitCode = ExitCode.unavailable;
    }
  }
}

await main();
