import type { Readable } from "node:stream";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ExecSessionInput, ExecSessionOpen, ExecSessionOutputSchema } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { ExecSessionEnd, ExecSignal, type ExecSessionEndedSchema } from "../../gen/tapis/pods/v1/exec_session_service_pb.js";
import type { Logger } from "../../shared/logging/logger.js";
import { ReceiveCounter, SendWindow, sessionAcknowledgeEveryBytes, sessionWindowBytes } from "../../shared/transfer/send-window.js";
import type { ClusterDriver, InteractiveCommand } from "../drivers/cluster-driver.js";

type Output = MessageInitShape<typeof ExecSessionOutputSchema>;
type Ended = MessageInitShape<typeof ExecSessionEndedSchema>;

/** Output goes to the control plane in pieces of at most this, so one session cannot hog the agent's stream. */
const maxFrameBytes = 64 * 1024;
/** The terminal a session gets when it names no size. */
const defaultSize = { columns: 80, rows: 24 };
/** The keys a terminal turns into signals. */
const signalKeys: Partial<Record<ExecSignal, string>> = { [ExecSignal.INTERRUPT]: "\x03", [ExecSignal.QUIT]: "\x1c" };
/** A session's output window never fails for want of progress: its time limits end a stalled session. */
const neverStalled = 2 ** 31 - 1;

interface ActiveSession {
  id: string;
  tty: boolean;
  /** Null while the command starts. */
  command: InteractiveCommand | null;
  /** Output sent and not yet passed on by the control plane. */
  output: SendWindow;
  stdin: ReceiveCounter;
  /** Inputs are applied strictly in order. */
  inputs: Promise<void>;
  /** Set once the control plane wants nothing more of it. */
  dropped: boolean;
  /** Why the session was ended on request, instead of by the command. */
  endedBy: Ended | null;
}

/**
 * The agent's interactive exec sessions: starts each command through the
 * driver, applies stdin, resizes and signals in order, and streams the
 * command's output to the control plane within a window that the control
 * plane frees as it passes the output on. A command whose output is not
 * taken is not read from, so it is held back instead of piling up here.
 */
export class AgentExecSessions {
  private readonly sessions = new Map<string, ActiveSession>();

  constructor(
    private readonly driver: () => ClusterDriver | undefined,
    /** Sends a frame on the open stream to the control plane; false when none is open. */
    private readonly send: (frame: Output) => boolean,
    private readonly logger: Logger,
  ) {}

  /** Sessions open, each holding a connection to its container. */
  get open(): number {
    return this.sessions.size;
  }

  /** Output bytes sent to the control plane and not yet passed on by it, over every session. */
  get unacknowledgedOutputBytes(): number {
    let sum = 0;
    for (const session of this.sessions.values()) sum += session.output.inFlight;
    return sum;
  }

  take(input: ExecSessionInput): void {
    const frame = input.frame;
    if (frame.case === "open") return void this.start(input.sessionId, frame.value);
    const session = this.sessions.get(input.sessionId);
    if (!session) return;
    switch (frame.case) {
      case "outputTaken":
        return session.output.acknowledge(Number(frame.value));
      case "close":
        return this.drop(session, frame.value);
      case "stdin":
      case "stdinClosed":
      case "resize":
      case "signal":
        session.inputs = session.inputs.then(() => this.apply(session, frame)).catch((error: unknown) => {
          this.logger.debug("exec session input failed", { session: session.id, error: String(error) });
        });
    }
  }

  /** The stream to the control plane ended: it forgot every session, so they all end. */
  streamEnded(): void {
    for (const session of this.sessions.values()) this.drop(session, "the agent's session with the control plane ended");
  }

  private async start(id: string, open: ExecSessionOpen): Promise<void> {
    const tty = open.tty;
    const session: ActiveSession = {
      id,
      tty,
      command: null,
      output: new SendWindow(() => new Error("the control plane stopped taking output"), sessionWindowBytes, neverStalled),
      stdin: new ReceiveCounter(sessionAcknowledgeEveryBytes),
      inputs: Promise.resolve(),
      dropped: false,
      endedBy: null,
    };
    const driver = this.driver();
    if (!driver) return void this.send({ sessionId: id, frame: { case: "ended", value: failed("the agent is starting; try again shortly") } });
    this.sessions.set(id, session);
    this.logger.debug("opening an exec session", { pod: `${open.tenantId}/${open.podId}`, session: id, request_id: open.clientRequestId || undefined });
    let command: InteractiveCommand;
    try {
      command = await driver.openSession({ tenantId: open.tenantId, podId: open.podId }, open.uid, {
        argv: open.command,
        tty,
        columns: open.size?.columns || defaultSize.columns,
        rows: open.size?.rows || defaultSize.rows,
      });
    } catch (error) {
      this.sessions.delete(id);
      if (!session.dropped) this.send({ sessionId: id, frame: { case: "ended", value: failed(`the command could not start: ${error instanceof Error ? error.message : String(error)}`) } });
      return;
    }
    session.command = command;
    if (session.dropped) command.close();
    else this.send({ sessionId: id, frame: { case: "started", value: { sessionId: id, command: open.command, tty, simulated: command.simulated } } });
    await Promise.all([this.pump(session, command.stdout, "stdout"), command.stderr ? this.pump(session, command.stderr, "stderr") : undefined]);
    const exit = await command.exited;
    this.sessions.delete(id);
    if (session.dropped) return;
    const ended: Ended = session.endedBy ?? (exit.exitCode === null ? failed(exit.failure) : { reason: ExecSessionEnd.EXITED, exitCode: exit.exitCode, message: `the command exited with code ${exit.exitCode}` });
    this.send({ sessionId: id, frame: { case: "ended", value: ended } });
  }

  /** Sends a command's output as it is read, reading on only while the window allows. */
  private async pump(session: ActiveSession, stream: Readable, kind: "stdout" | "stderr"): Promise<void> {
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        for (let at = 0; at < chunk.length; at += maxFrameBytes) {
          const piece = chunk.subarray(at, at + maxFrameBytes);
          await session.output.reserve(piece.length);
          if (!this.send({ sessionId: session.id, frame: { case: kind, value: piece } })) throw new Error("no stream to the control plane");
        }
      }
    } catch {
      // Dropped, closed, or the stream to the control plane broke: the command's connection is closed.
      session.command?.close();
    }
  }

  private async apply(session: ActiveSession, frame: Exclude<ExecSessionInput["frame"], { case: "open" | "outputTaken" | "close" | undefined }>): Promise<void> {
    const command = session.command;
    if (!command || session.dropped) return;
    switch (frame.case) {
      case "stdin":
        await command.write(frame.value);
        if (session.stdin.take(frame.value.length)) this.send({ sessionId: session.id, frame: { case: "stdinTaken", value: BigInt(session.stdin.total) } });
        return;
      case "stdinClosed":
        return command.closeStdin();
      case "resize":
        if (session.tty && frame.value.columns > 0 && frame.value.rows > 0) command.resize(frame.value.columns, frame.value.rows);
        return;
      case "signal": {
        const key = session.tty ? signalKeys[frame.value] : undefined;
        if (key) return command.write(Buffer.from(key));
        session.endedBy = { reason: ExecSessionEnd.CLOSED, message: `ended by the caller (${ExecSignal[frame.value]})` };
        return command.close();
      }
    }
  }

  /** The control plane wants no more of the session: its connection is closed and nothing more is sent. */
  private drop(session: ActiveSession, reason: string): void {
    if (session.dropped) return;
    session.dropped = true;
    this.logger.debug("exec session closed", { session: session.id, reason });
    session.output.fail(new Error(reason));
    session.command?.close();
  }
}

function failed(message: string): Ended {
  return { reason: ExecSessionEnd.FAILED, message };
}
