import type { ExecSessionRequest } from "../../gen/tapis/pods/v1/exec_session_service_pb.js";
import { ExecSignal } from "../../gen/tapis/pods/v1/exec_session_service_pb.js";
import { InvalidArgumentError, ProblemList } from "../errors/domain-errors.js";
import type { ExecInput } from "../agents/exec-link.js";

/**
 * What a session runs when it names no command: the image's shell, bash
 * where the image has it (it edits lines and keeps history), else sh.
 */
export const imageShell = ["/bin/sh", "-c", "if [ -x /bin/bash ]; then exec /bin/bash; fi; exec /bin/sh"];

/** The service's time limits of a session, in seconds: each both the default and the most a caller may ask for. */
export interface ExecSessionLimits {
  idleTimeoutSeconds: number;
  totalTimeoutSeconds: number;
}

/** A session as its first message asks for it, checked. */
export interface SessionOpening {
  podId: string;
  command: string[];
  tty: boolean;
  columns: number;
  rows: number;
  idleTimeoutSeconds: number;
  totalTimeoutSeconds: number;
}

const maxCommandParts = 256;
const maxCommandPartLength = 4096;
const maxTerminalSide = 1000;
/** The names, as the caller writes them, of the inputs a later message carries. */
const inputNames = { stdin: "stdin", stdinClosed: "stdin_closed", resize: "resize", signal: "signal" } as const;

/** Checks the first message of a session; throws naming every field that breaks a rule. */
export function openingOf(first: ExecSessionRequest, limits: ExecSessionLimits): SessionOpening {
  const problems = new ProblemList();
  if (first.input.case) problems.add(inputNames[first.input.case], "the first message opens the session and carries no input");
  if (first.command.length > maxCommandParts) problems.add("command", `must have at most ${maxCommandParts} parts`);
  first.command.forEach((part, index) => {
    if (index === 0 && part === "") problems.add("command[0]", "must not be empty");
    if (part.length > maxCommandPartLength) problems.add(`command[${index}]`, `must be at most ${maxCommandPartLength} characters`);
    if (part.includes("\0")) problems.add(`command[${index}]`, "must not contain a NUL character");
  });
  for (const side of ["columns", "rows"] as const) {
    if (first[side] > maxTerminalSide) problems.add(side, `must be at most ${maxTerminalSide}`);
  }
  const idleTimeoutSeconds = timeLimit("idle_timeout", first.idleTimeout, limits.idleTimeoutSeconds, problems);
  const totalTimeoutSeconds = timeLimit("total_timeout", first.totalTimeout, limits.totalTimeoutSeconds, problems);
  problems.throwIfAny();
  return {
    podId: first.podId,
    command: first.command.length > 0 ? [...first.command] : imageShell,
    tty: first.tty,
    columns: first.columns,
    rows: first.rows,
    idleTimeoutSeconds,
    totalTimeoutSeconds,
  };
}

function timeLimit(field: string, asked: number, limit: number, problems: ProblemList): number {
  if (asked > limit) problems.add(field, `must be at most ${limit} seconds (the service's limit)`);
  return asked || limit;
}

/**
 * The one input a message after the first carries; throws when it carries
 * none, names the pod or command again, or is not valid where the session is.
 */
export function inputOf(message: ExecSessionRequest, stdinClosed: boolean): ExecInput {
  const opening = openingFieldIn(message);
  if (opening) throw new InvalidArgumentError(opening, "only the first message names the pod and the command");
  const input = message.input;
  switch (input.case) {
    case "stdin":
      if (stdinClosed) throw new InvalidArgumentError("stdin", "the standard input is closed already");
      return { case: "stdin", value: input.value };
    case "stdinClosed":
      if (!input.value) throw new InvalidArgumentError("stdin_closed", "must be true when given");
      return { case: "stdinClosed", value: true };
    case "resize": {
      const { columns, rows } = input.value;
      if (columns < 1 || rows < 1 || columns > maxTerminalSide || rows > maxTerminalSide) {
        throw new InvalidArgumentError("resize", `columns and rows must each be between 1 and ${maxTerminalSide}`);
      }
      return { case: "resize", value: { columns, rows } };
    }
    case "signal":
      if (!ExecSignal[input.value] || input.value === ExecSignal.UNSPECIFIED) throw new InvalidArgumentError("signal", "must name a signal: INTERRUPT, QUIT or TERMINATE");
      return { case: "signal", value: input.value };
    default:
      throw new InvalidArgumentError("input", "each message after the first carries one input");
  }
}

/** The first field of the opening a later message sets, if any. */
function openingFieldIn(message: ExecSessionRequest): string | undefined {
  if (message.podId) return "pod_id";
  if (message.command.length > 0) return "command";
  if (message.tty) return "tty";
  if (message.columns) return "columns";
  if (message.rows) return "rows";
  if (message.idleTimeout) return "idle_timeout";
  if (message.totalTimeout) return "total_timeout";
  return undefined;
}
