import type { JsonValue } from "@bufbuild/protobuf";
import { ProblemList } from "../errors/domain-errors.js";

export const execDefaults = { commandTimeoutSeconds: 60, totalTimeoutSeconds: 300 } as const;
const maxCommands = 100;
const maxTimeoutSeconds = 24 * 3600;

/**
 * The commands of an exec request as argv lists. A list of strings is one
 * command (["ls", "-la"]); otherwise each entry is a command, given as a list
 * of strings or as one string that a shell runs ("ls -la | wc -l").
 */
export function parseExecCommands(commands: JsonValue[] | undefined, problems: ProblemList): string[][] {
  if (!commands || commands.length === 0) {
    problems.add("commands", "at least one command is required");
    return [];
  }
  if (commands.every((c) => typeof c === "string")) return [commands as string[]];
  if (commands.length > maxCommands) problems.add("commands", `at most ${maxCommands} commands`);
  return commands.map((command, index) => {
    if (typeof command === "string") return ["/bin/sh", "-c", command];
    if (Array.isArray(command) && command.length > 0 && command.every((part) => typeof part === "string")) return command as string[];
    problems.add(`commands[${index}]`, "must be a string or a non-empty list of strings");
    return [];
  });
}

export function validateTimeout(field: string, value: number | undefined, fallback: number, problems: ProblemList): number {
  if (value === undefined) return fallback;
  if (value < 1 || value > maxTimeoutSeconds) problems.add(field, `must be between 1 and ${maxTimeoutSeconds} seconds`);
  return value;
}
