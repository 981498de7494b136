import { PassThrough } from "node:stream";
import type { Exec, V1Status } from "@kubernetes/client-node";
import type { InteractiveCommand, SessionCommand, SessionExit } from "../cluster-driver.js";
import { execOutcome } from "./exec-status.js";

/** Output the agent has not read yet, per stream, before the connection stops being read. */
const heldOutputBytes = 64 * 1024;
/** Stdin the socket may hold unsent before writes wait. */
const stdinBufferBytes = 256 * 1024;
const socketOpen = 1;

/** The part of the client's WebSocket a session uses. */
interface ExecSocket {
  readyState: number;
  bufferedAmount: number;
  pause(): void;
  resume(): void;
  close(): void;
  once(event: "close", listener: () => void): void;
}

/**
 * An output stream of the session. The client writes every message it gets
 * into it without looking at the answer; this stream tells when it is full,
 * so the connection stops being read until the agent catches up.
 */
class HeldOutput extends PassThrough {
  constructor(private readonly full: () => void) {
    super({ highWaterMark: heldOutputBytes });
  }

  override write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    const ok = super.write(chunk, encoding as BufferEncoding, callback as (error?: Error | null) => void);
    if (!ok) this.full();
    return ok;
  }
}

/**
 * Starts `command` in a container through the API server's exec (a
 * WebSocket: stdin, stdout, stderr or a terminal, and the resize channel)
 * and hands it over as an InteractiveCommand. Reading its output slowly
 * pauses the WebSocket, so the command is held back (by the API server,
 * the kubelet and finally its own pipe or terminal) instead of its output
 * piling up in the agent.
 */
export async function openContainerSession(exec: Exec, namespace: string, podName: string, container: string, command: SessionCommand): Promise<InteractiveCommand> {
  let socket: ExecSocket | undefined;
  const outputs: HeldOutput[] = [];
  const hold = () => socket?.pause();
  const release = () => {
    if (outputs.every((output) => !output.writableNeedDrain)) socket?.resume();
  };
  const stdout = new HeldOutput(hold);
  const stderr = command.tty ? null : new HeldOutput(hold);
  for (const output of [stdout, stderr]) {
    if (!output) continue;
    outputs.push(output);
    output.on("drain", release);
  }
  // The client reads the terminal's size from its stdout stream, and watches it for "resize".
  if (command.tty) Object.assign(stdout, { columns: command.columns, rows: command.rows });
  const stdin = new PassThrough();
  let status: V1Status | undefined;
  socket = (await exec.exec(namespace, podName, container, command.argv, stdout, stderr, stdin, command.tty, (answer) => (status = answer))) as ExecSocket;
  const opened = socket;
  const exited = new Promise<SessionExit>((resolve) => {
    opened.once("close", () => {
      // Without a status the connection broke (or was closed) before the command ended.
      for (const output of outputs) if (!output.writableEnded) output.end();
      if (!status) return resolve({ exitCode: null, failure: "the connection to the container closed before the command ended" });
      const outcome = execOutcome(status);
      resolve(outcome.failure ? { exitCode: null, failure: outcome.failure } : { exitCode: outcome.exitCode });
    });
  });
  return {
    stdout,
    stderr,
    simulated: false,
    exited,
    async write(data) {
      while (opened.bufferedAmount > stdinBufferBytes && opened.readyState === socketOpen) await new Promise((resolve) => setTimeout(resolve, 5));
      if (opened.readyState === socketOpen && !stdin.writableEnded) stdin.write(data);
    },
    closeStdin() {
      if (!stdin.writableEnded) stdin.end();
    },
    resize(columns, rows) {
      if (!command.tty) return;
      Object.assign(stdout, { columns, rows });
      stdout.emit("resize");
    },
    close() {
      opened.resume();
      opened.close();
    },
  };
}
