import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { ExecSessionInputSchema, ExecSessionOpenSchema, ExecSessionOutput } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { ExecSessionEnd, ExecSessionEndedSchema } from "../../gen/tapis/pods/v1/exec_session_service_pb.js";

/** What opens a session on an agent: the pod incarnation, the command and its terminal. */
export type ExecOpenOrder = MessageInitShape<typeof ExecSessionOpenSchema>;

type InputFrame = NonNullable<MessageInitShape<typeof ExecSessionInputSchema>["frame"]>;
/** One input of a running session. */
export type ExecInput = Extract<InputFrame, { case: "stdin" | "stdinClosed" | "resize" | "signal" }>;

/** What an agent sends about a session: `started` (or `ended`, when it could not start), output, then `ended`. */
export type ExecOutput = Extract<ExecSessionOutput["frame"], { case: "started" | "stdout" | "stderr" | "ended" }>;

/**
 * One interactive exec session on an agent, wherever the agent is connected
 * (this replica, or another one that the session is forwarded to). Output is
 * taken from `output`; taking it frees the agent's window, so a session
 * whose output is not taken holds its command back. `output` ends after the
 * `ended` frame, or once the session is closed.
 */
export interface ExecLink {
  /** Sends one input, in order; stdin waits while a window of it is not taken yet. Throws once the session is over. */
  send(input: ExecInput): Promise<void>;
  readonly output: AsyncIterable<ExecOutput>;
  /** Ends the session now: the agent closes the connection to the container. */
  close(reason: string): void;
}

/** The `ended` frame of a session whose connection to its container broke. */
export function failedFrame(message: string): Extract<ExecOutput, { case: "ended" }> {
  return { case: "ended", value: create(ExecSessionEndedSchema, { reason: ExecSessionEnd.FAILED, message }) };
}

/** Whether `frame` is one of the frames a link hands on. */
export function isExecOutput(frame: ExecSessionOutput["frame"]): frame is ExecOutput {
  return frame.case === "started" || frame.case === "stdout" || frame.case === "stderr" || frame.case === "ended";
}
