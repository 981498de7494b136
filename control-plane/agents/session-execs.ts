import { randomUUID } from "node:crypto";
import type { ExecSessionOutput } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { AsyncQueue } from "../../shared/async/async-queue.js";
import { ReceiveCounter, SendWindow, sessionAcknowledgeEveryBytes, sessionWindowBytes } from "../../shared/transfer/send-window.js";
import { failedFrame, isExecOutput, type ExecInput, type ExecLink, type ExecOpenOrder, type ExecOutput } from "./exec-link.js";
import type { TransferChannel } from "./session-transfers.js";

/** A session's stdin window never fails for want of progress: its time limits end a stalled session. */
const neverStalled = 2 ** 31 - 1;

/**
 * The interactive exec sessions this replica carries to its agents, each
 * multiplexed on its agent's session under an id of its own, with a window
 * each way (see ExecSessionInput).
 */
export class SessionExecs {
  private readonly links = new Map<string, LocalExecLink>();

  /** Sessions open to agents connected here. */
  get count(): number {
    return this.links.size;
  }

  /** Stdin bytes sent to agents and not yet taken by their commands, over every session. */
  get unacknowledgedStdinBytes(): number {
    let sum = 0;
    for (const link of this.links.values()) sum += link.stdinInFlight;
    return sum;
  }

  open(channel: TransferChannel, order: ExecOpenOrder): ExecLink {
    const sessionId = randomUUID();
    const link = new LocalExecLink(sessionId, channel, () => this.links.delete(sessionId));
    this.links.set(sessionId, link);
    channel.send({ payload: { case: "execSessionInput", value: { sessionId, frame: { case: "open", value: order } } } });
    return link;
  }

  /** A frame an agent sent about one of its sessions; frames of sessions over are dropped. */
  output(output: ExecSessionOutput): void {
    this.links.get(output.sessionId)?.receive(output.frame);
  }

  /** The session `channel` ended: every exec session it carried fails. */
  closed(channel: TransferChannel, reason: string): void {
    for (const link of this.links.values()) if (link.channel === channel) link.fail(reason);
  }
}

class LocalExecLink implements ExecLink {
  private readonly frames = new AsyncQueue<ExecOutput>();
  private readonly stdin = new SendWindow(() => new Error("the agent stopped taking stdin"), sessionWindowBytes, neverStalled);
  private over = false;

  constructor(
    private readonly sessionId: string,
    readonly channel: TransferChannel,
    private readonly forget: () => void,
  ) {}

  get stdinInFlight(): number {
    return this.stdin.inFlight;
  }

  readonly output: AsyncIterable<ExecOutput> = { [Symbol.asyncIterator]: () => this.taken() };

  async send(input: ExecInput): Promise<void> {
    if (this.over) throw new Error("the session is over");
    if (input.case === "stdin") await this.stdin.reserve(input.value.length);
    this.channel.send({ payload: { case: "execSessionInput", value: { sessionId: this.sessionId, frame: input } } });
  }

  close(reason: string): void {
    if (this.over) return;
    this.channel.send({ payload: { case: "execSessionInput", value: { sessionId: this.sessionId, frame: { case: "close", value: reason } } } });
    this.finish(new Error(reason));
  }

  receive(frame: ExecSessionOutput["frame"]): void {
    if (frame.case === "stdinTaken") return this.stdin.acknowledge(Number(frame.value));
    if (!isExecOutput(frame)) return;
    this.frames.push(frame);
    if (frame.case === "ended") this.finish(new Error("the session ended"));
  }

  /** The agent went away: the session ends as failed. */
  fail(reason: string): void {
    if (this.over) return;
    this.frames.push(failedFrame(reason));
    this.finish(new Error(reason));
  }

  private finish(error: Error): void {
    this.over = true;
    this.stdin.fail(error);
    this.frames.end();
    this.forget();
  }

  /** Hands the frames on, telling the agent how much output has been taken. */
  private async *taken(): AsyncGenerator<ExecOutput> {
    const counter = new ReceiveCounter(sessionAcknowledgeEveryBytes);
    for await (const frame of this.frames) {
      yield frame;
      if ((frame.case === "stdout" || frame.case === "stderr") && counter.take(frame.value.length) && !this.over) {
        this.channel.send({ payload: { case: "execSessionInput", value: { sessionId: this.sessionId, frame: { case: "outputTaken", value: BigInt(counter.total) } } } });
      }
    }
  }
}
