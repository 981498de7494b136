import type { MessageInitShape } from "@bufbuild/protobuf";
import { ExecSessionEnd, type ExecSessionEndedSchema, type ExecSessionRequest, type ExecSessionResponseSchema } from "../../gen/tapis/pods/v1/exec_session_service_pb.js";
import type { ExecLink, ExecOutput } from "../agents/exec-link.js";
import { DomainError, UnavailableError } from "../errors/domain-errors.js";
import { inputOf } from "./exec-session-rules.js";

type Response = MessageInitShape<typeof ExecSessionResponseSchema>;
type Ended = MessageInitShape<typeof ExecSessionEndedSchema>;
type Started = Extract<ExecOutput, { case: "started" }>["value"];

/** How a relayed session went, for its audit record. */
export interface RelayTally {
  bytesIn: number;
  bytesOut: number;
  ended: Ended | null;
}

export interface RelayLimits {
  idleTimeoutSeconds: number;
  totalTimeoutSeconds: number;
  /** How long the agent may take to start the command. */
  startTimeoutMs: number;
}

/**
 * Carries one session between its caller and its agent: the caller's
 * inputs in order (each checked), the agent's output as the caller takes
 * it, and the end. It ends the session itself after the idle and total time
 * limits, when the caller goes away (`gone` aborts), or when an input
 * breaks a rule (the call then fails with that error).
 */
export class SessionRelay {
  readonly tally: RelayTally = { bytesIn: 0, bytesOut: 0, ended: null };
  private refusal: DomainError | null = null;
  private idleTimer: NodeJS.Timeout | undefined;
  private totalTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly link: ExecLink,
    private readonly limits: RelayLimits,
    private readonly gone: AbortSignal,
  ) {}

  /** The agent's first answer: the command runs; throws when it could not start. */
  async start(output: AsyncIterator<ExecOutput>): Promise<Started> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new UnavailableError(`the agent did not start the command within ${this.limits.startTimeoutMs / 1000} s`)), this.limits.startTimeoutMs);
    });
    try {
      const first = await Promise.race([output.next(), late]);
      if (!first.done && first.value.case === "started") return first.value.value;
      const why = !first.done && first.value.case === "ended" ? first.value.value.message : "the agent ended the session before it started";
      throw new UnavailableError(why);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Relays until the session ends; the last answer says how it ended. */
  async *run(inputs: AsyncIterator<ExecSessionRequest>, output: AsyncIterator<ExecOutput>): AsyncGenerator<Response> {
    const endOnAbort = () => this.end({ reason: ExecSessionEnd.CLOSED, message: "the client went away" });
    this.gone.addEventListener("abort", endOnAbort);
    if (this.gone.aborted) endOnAbort();
    this.totalTimer = setTimeout(
      () => this.end({ reason: ExecSessionEnd.TOTAL_TIMEOUT, message: `the session reached its total time limit of ${this.limits.totalTimeoutSeconds} s` }),
      this.limits.totalTimeoutSeconds * 1000,
    );
    this.touch();
    void this.relayInputs(inputs);
    try {
      for (let next = await output.next(); !next.done; next = await output.next()) {
        const frame = next.value;
        this.touch();
        if (frame.case === "ended") {
          this.tally.ended ??= frame.value;
          break;
        }
        if (frame.case === "started") continue;
        this.tally.bytesOut += frame.value.length;
        yield { output: frame };
      }
      if (this.refusal) throw this.refusal;
      // Nobody is left to tell.
      if (this.gone.aborted) return;
      this.tally.ended ??= { reason: ExecSessionEnd.FAILED, message: "the session ended without saying how" };
      yield { output: { case: "ended", value: this.tally.ended } };
    } finally {
      clearTimeout(this.idleTimer);
      clearTimeout(this.totalTimer);
      this.gone.removeEventListener("abort", endOnAbort);
    }
  }

  private async relayInputs(inputs: AsyncIterator<ExecSessionRequest>): Promise<void> {
    let stdinClosed = false;
    for (;;) {
      let next: IteratorResult<ExecSessionRequest>;
      try {
        next = await inputs.next();
      } catch {
        return this.end({ reason: ExecSessionEnd.CLOSED, message: "the client went away" });
      }
      if (this.tally.ended) return;
      try {
        if (next.done) {
          // The caller has no more to say: the command's stdin ends, and the session runs on.
          if (!stdinClosed) await this.link.send({ case: "stdinClosed", value: true });
          return;
        }
        const input = inputOf(next.value, stdinClosed);
        this.touch();
        if (input.case === "stdin") this.tally.bytesIn += input.value.length;
        if (input.case === "stdinClosed") stdinClosed = true;
        await this.link.send(input);
      } catch (error) {
        if (error instanceof DomainError) {
          this.refusal = error;
          return this.end({ reason: ExecSessionEnd.CLOSED, message: `refused: ${error.message}` });
        }
        // The session is over: its end is the agent's to tell.
        return;
      }
    }
  }

  /** Nothing came either way for the idle limit: the session ends. */
  private touch(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(
      () => this.end({ reason: ExecSessionEnd.IDLE_TIMEOUT, message: `nothing came either way for ${this.limits.idleTimeoutSeconds} s` }),
      this.limits.idleTimeoutSeconds * 1000,
    );
  }

  /** Ends the session here: the agent closes it, and the caller is told `ended` once its output is taken. */
  private end(ended: Ended): void {
    if (this.tally.ended) return;
    this.tally.ended = ended;
    this.link.close(ended.message ?? "");
  }
}
