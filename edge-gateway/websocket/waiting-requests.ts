import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ExecSessionRequest, ExecSessionRequestSchema } from "../../gen/tapis/pods/v1/exec_session_service_pb.js";
import type { Handoff } from "../../shared/async/handoff.js";

/** Messages read from a connection and not yet taken by the service, past which the client is refused (1008). */
export const maxWaitingMessages = 512;
/** Stdin read from a connection and not yet taken by the service (the window), past which the client is refused (1008). */
export const maxWaitingStdinBytes = 1024 * 1024;
export const waitingLimitReason = "frames: at most 512 messages or 1 MiB of stdin may wait for the session; send less at once";

/**
 * The messages a connection delivered while it was paused, handed to the
 * service one at a time. Pausing a connection stops its socket, but every
 * frame of a chunk already read still arrives; without a bound, a client
 * writing many small frames at once would make the gateway hold them all.
 */
export class WaitingRequests {
  /** The first is the one being handed to the service; the bound is on those behind it. */
  private readonly waiting: ExecSessionRequest[] = [];
  private stdinBehind = 0;
  private feeding = false;

  constructor(
    private readonly requests: Handoff<MessageInitShape<typeof ExecSessionRequestSchema>>,
    /** Called once every waiting message has been taken. */
    private readonly drained: () => void,
  ) {}

  /** Queues `request` for the service; false, queuing nothing, when the bound would be passed. */
  add(request: ExecSessionRequest): boolean {
    if (this.waiting.length > 0) {
      // A frame as large as maxPayload may be in hand while the rest of its chunk arrives: only what waits behind it is bounded.
      const size = stdinSize(request);
      if (this.waiting.length > maxWaitingMessages || this.stdinBehind + size > maxWaitingStdinBytes) return false;
      this.stdinBehind += size;
    }
    this.waiting.push(request);
    if (!this.feeding) void this.feed();
    return true;
  }

  private async feed(): Promise<void> {
    this.feeding = true;
    try {
      while (this.waiting.length > 0) {
        await this.requests.put(this.waiting[0]!);
        this.waiting.shift();
        if (this.waiting.length > 0) this.stdinBehind -= stdinSize(this.waiting[0]!);
      }
    } catch {
      // The call ended: what still waits is dropped with it.
      this.waiting.length = 0;
      this.stdinBehind = 0;
      return;
    } finally {
      this.feeding = false;
    }
    this.drained();
  }
}

function stdinSize(request: ExecSessionRequest): number {
  return request.input.case === "stdin" ? request.input.value.length : 0;
}
