import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ExecSessionEnded, ExecSessionRequestSchema, ExecSessionResponse, ExecSessionStarted, ExecSignal } from "../../gen/tapis/pods/v1/exec_session_service_pb.js";
import { decodeResponse, encodeRequest, protoFramesProtocol } from "../../shared/websocket/exec-session-frames.js";
import { WebSocketClient, type WebSocketConnection } from "../../shared/websocket/ws-library.js";
import { CliError, ServiceError, UnreachableError } from "../cli-error.js";
import { ExitCode } from "../exit-codes.js";
import { escapePath, type PodsClient } from "../http/pods-client.js";

/** What the first message of a session asks for; 0 leaves a size or a limit to the service. */
export interface SessionOpening {
  podId: string;
  command: string[];
  tty: boolean;
  columns: number;
  rows: number;
  idleTimeout: number;
  totalTimeout: number;
}

/** What the service sends, as it comes. */
export interface SessionOutput {
  stdout(bytes: Uint8Array): void;
  stderr(bytes: Uint8Array): void;
}

/** Largest frame taken from the service (its frames are far smaller). */
const maxFrameBytes = 4 * 1024 * 1024;

/**
 * One exec session over the service's WebSocket endpoint
 * (GET /v3/pods/{pod_id}/exec/session), in protobuf frames. The session is
 * open once `open` resolves (the service upgrades only when the command
 * runs); `ended` resolves with how it ended, or fails when the connection
 * closes without saying.
 */
export class SessionSocket {
  readonly ended: Promise<ExecSessionEnded>;
  private output: SessionOutput | null = null;
  /** Output that came before `deliverTo` named where it goes. */
  private early: [keyof SessionOutput, Uint8Array][] = [];

  private constructor(
    private readonly connection: WebSocketConnection,
    readonly started: ExecSessionStarted,
    ended: Promise<ExecSessionEnded>,
  ) {
    this.ended = ended;
  }

  /** Opens the session; a refusal becomes the ServiceError of its HTTP status and message. */
  static open(client: PodsClient, opening: SessionOpening): Promise<SessionSocket> {
    const url = new URL(client.url(`/v3/pods/${escapePath(opening.podId)}/exec/session`));
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    for (const word of opening.command) url.searchParams.append("command", word);
    const numbers = { columns: opening.columns, rows: opening.rows, idle_timeout: opening.idleTimeout, total_timeout: opening.totalTimeout };
    if (opening.tty) url.searchParams.set("tty", "true");
    for (const [name, value] of Object.entries(numbers)) if (value > 0) url.searchParams.set(name, String(value));

    const connection = new WebSocketClient(url.toString(), [protoFramesProtocol], { headers: client.headers(), maxPayload: maxFrameBytes });
    return new Promise((resolve, reject) => {
      let session: SessionSocket | null = null;
      let settleEnded!: { resolve: (ended: ExecSessionEnded) => void; reject: (error: Error) => void };
      const ended = new Promise<ExecSessionEnded>((resolveEnded, rejectEnded) => (settleEnded = { resolve: resolveEnded, reject: rejectEnded }));
      let last: ExecSessionEnded | null = null;
      connection.on("unexpected-response", (request, response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          void client.errorOf({ status: response.statusCode ?? 0, text: async () => text }).then(reject);
          request.destroy();
        });
        response.on("error", (error) => reject(new UnreachableError(client.baseUrl, error)));
      });
      connection.on("error", (error) => {
        if (!session) reject(new UnreachableError(client.baseUrl, error));
      });
      connection.on("message", (data, isBinary) => {
        let message: ExecSessionResponse;
        try {
          message = decodeResponse(data, isBinary, "proto");
        } catch (error) {
          connection.terminate();
          return settleEnded.reject(new CliError(`the service sent a frame that is not a session message (${(error as Error).message})`, ExitCode.unavailable));
        }
        const output = message.output;
        if (output.case === "started" && !session) {
          session = new SessionSocket(connection, output.value, ended);
          resolve(session);
        } else if (output.case === "stdout" || output.case === "stderr") session?.deliver(output.case, output.value);
        else if (output.case === "ended") last = output.value;
      });
      connection.on("close", (code, reason) => {
        if (!session) return reject(new UnreachableError(client.baseUrl, new Error(`the connection closed before the session started (${code})`)));
        if (last) return settleEnded.resolve(last);
        settleEnded.reject(closedWithout(code, reason.toString("utf8")));
      });
    });
  }

  /** Where output goes, starting with any that came already. */
  deliverTo(output: SessionOutput): void {
    this.output = output;
    for (const [stream, bytes] of this.early.splice(0)) output[stream](bytes);
  }

  /** Bytes sent and not yet written to the connection's socket. */
  get unsentBytes(): number {
    return this.connection.bufferedAmount;
  }

  stdin(bytes: Uint8Array, sent?: () => void): void {
    this.send({ input: { case: "stdin", value: bytes } }, sent);
  }

  closeStdin(): void {
    this.send({ input: { case: "stdinClosed", value: true } });
  }

  resize(columns: number, rows: number): void {
    this.send({ input: { case: "resize", value: { columns, rows } } });
  }

  signal(signal: ExecSignal): void {
    this.send({ input: { case: "signal", value: signal } });
  }

  /** Reads no more output until `resume` (the local reader is behind). */
  pause(): void {
    this.connection.pause();
  }

  resume(): void {
    this.connection.resume();
  }

  close(): void {
    this.connection.close(1000);
  }

  private deliver(stream: keyof SessionOutput, bytes: Uint8Array): void {
    if (this.output) this.output[stream](bytes);
    else this.early.push([stream, bytes]);
  }

  private send(message: MessageInitShape<typeof ExecSessionRequestSchema>, sent?: () => void): void {
    if (this.connection.readyState !== 1) return;
    this.connection.send(encodeRequest(message, "proto"), { binary: true }, () => sent?.());
  }
}

/** A connection that closed without an `ended` frame: 4000 + an HTTP status carries the service's refusal. */
function closedWithout(code: number, reason: string): CliError {
  if (code >= 4100 && code < 4600) return new ServiceError(code - 4000, reason || "the service ended the session");
  return new CliError(`the connection to the service closed before the session ended (code ${code}${reason ? `: ${reason}` : ""})`, ExitCode.unavailable);
}
