import { ExecSessionEnd, ExecSignal, type ExecSessionEnded } from "../../gen/tapis/pods/v1/exec_session_service_pb.js";
import { ExitCode } from "../exit-codes.js";
import { LocalTerminal } from "./local-terminal.js";
import type { SessionSocket } from "./session-socket.js";

/** Input sent and not yet written to the connection, past which standard input is not read. */
const inputWindowBytes = 1024 * 1024;

/** Exit codes for a session ended by a signal to `pods` itself, as shells report them. */
const signalExitCodes = { SIGINT: 130, SIGTERM: 143 } as const;

export interface AttachOptions {
  /** The session runs in a terminal: the local one goes raw and its size follows the window. */
  tty: boolean;
  /** Standard input goes to the command; without it, the command's input ends at once. */
  stdin: boolean;
}

/** How an attached session ended: the exit code for `pods`, and what to say when it is not the command's own. */
export interface AttachOutcome {
  exitCode: number;
  message: string;
}

/**
 * Joins the local standard streams to `session` until it ends: input to the
 * command (held back while a window of it is unsent), its output to stdout
 * and stderr (the connection is not read while stdout is behind), window
 * resizes (SIGWINCH) in a terminal, and SIGINT or SIGTERM sent as signals.
 * The local terminal is restored before this returns.
 */
export async function attachSession(session: SessionSocket, options: AttachOptions): Promise<AttachOutcome> {
  const terminal = options.tty ? LocalTerminal.enter() : null;
  const input = process.stdin;
  let lastByte = 10;
  let interruptedBy: keyof typeof signalExitCodes | null = null;

  session.deliverTo({
    stdout: (bytes) => {
      if (bytes.length > 0) lastByte = bytes[bytes.length - 1]!;
      if (!process.stdout.write(bytes)) {
        session.pause();
        process.stdout.once("drain", () => session.resume());
      }
    },
    stderr: (bytes) => void process.stderr.write(bytes),
  });

  const onData = (chunk: Buffer) => {
    session.stdin(chunk, () => {
      if (input.isPaused() && session.unsentBytes <= inputWindowBytes) input.resume();
    });
    if (session.unsentBytes > inputWindowBytes) input.pause();
  };
  const onEnd = () => session.closeStdin();
  const onResize = () => session.resize(process.stdout.columns, process.stdout.rows);
  const onSignal = (name: keyof typeof signalExitCodes) => {
    // In a terminal Ctrl-C arrives as a key; a SIGINT sent to pods goes on as that key.
    if (!options.tty) interruptedBy = name;
    session.signal(name === "SIGINT" ? ExecSignal.INTERRUPT : ExecSignal.TERMINATE);
  };
  const onSigint = () => onSignal("SIGINT");
  const onSigterm = () => onSignal("SIGTERM");

  if (options.stdin) {
    input.on("data", onData);
    input.once("end", onEnd);
    input.resume();
  } else {
    session.closeStdin();
  }
  if (terminal) process.stdout.on("resize", onResize);
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);

  try {
    const ended = await session.ended;
    return outcomeOf(ended, interruptedBy);
  } finally {
    input.off("data", onData);
    input.off("end", onEnd);
    process.stdout.off("resize", onResize);
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigterm);
    terminal?.restore();
    // Nothing more is read: pods exits even if its input has not ended.
    input.destroy();
    if (terminal && lastByte !== 10) process.stdout.write("\n");
  }
}

function outcomeOf(ended: ExecSessionEnded, interruptedBy: keyof typeof signalExitCodes | null): AttachOutcome {
  if (ended.reason === ExecSessionEnd.EXITED) return { exitCode: ended.exitCode & 0xff, message: "" };
  if (ended.reason === ExecSessionEnd.CLOSED && interruptedBy) return { exitCode: signalExitCodes[interruptedBy], message: ended.message };
  return { exitCode: ExitCode.unavailable, message: ended.message };
}
