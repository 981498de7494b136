import type { MessageInitShape } from "@bufbuild/protobuf";
import { ExecSessionEnd, type ExecSessionRequest, type ExecSessionResponseSchema } from "../../gen/tapis/pods/v1/exec_session_service_pb.js";
import type { Logger } from "../../shared/logging/logger.js";
import type { AgentLink } from "../agents/agent-router.js";
import type { Caller } from "../auth/caller.js";
import { InvalidArgumentError } from "../errors/domain-errors.js";
import { findAvailablePod } from "../pods/available-pod.js";
import type { Database } from "../storage/database.js";
import { openingOf, type ExecSessionLimits } from "./exec-session-rules.js";
import type { SessionAudit } from "./session-audit.js";
import { SessionRelay } from "./session-relay.js";

type Response = MessageInitShape<typeof ExecSessionResponseSchema>;

export interface PodExecSessionsDeps {
  db: Database;
  agents: AgentLink;
  audit: SessionAudit;
  limits: ExecSessionLimits;
  now: () => number;
  logger: Logger;
  /** How long an agent may take to start a command (default 30 s). */
  startTimeoutMs?: number;
}

/** Where a session's call came from. */
export interface CallContext {
  /** The X-Request-Id of the call, for the agent's logs. */
  clientRequestId: string;
  /** Aborted when the caller goes away. */
  gone: AbortSignal;
}

/**
 * Interactive exec sessions: checks the opening, finds the pod AVAILABLE,
 * opens the session on the agent of its cluster (wherever it is
 * connected), relays it (see SessionRelay) and records it once it has ended.
 */
export class PodExecSessions {
  private relaying = 0;

  constructor(private readonly deps: PodExecSessionsDeps) {}

  /** Sessions whose callers are connected to this replica. */
  get open(): number {
    return this.relaying;
  }

  async *run(caller: Caller, requests: AsyncIterable<ExecSessionRequest>, call: CallContext): AsyncGenerator<Response> {
    const inputs = requests[Symbol.asyncIterator]();
    const first = await inputs.next();
    if (first.done) throw new InvalidArgumentError("pod_id", "the first message must name the pod");
    const opening = openingOf(first.value, this.deps.limits);
    const pod = await findAvailablePod(this.deps.db, caller.tenantId, opening.podId, "a session opens only in an AVAILABLE pod");
    const link = await this.deps.agents.openExecSession(pod.clusterId, {
      tenantId: pod.tenantId,
      podId: pod.podId,
      uid: pod.uid,
      command: opening.command,
      tty: opening.tty,
      size: { columns: opening.columns, rows: opening.rows },
      clientRequestId: call.clientRequestId,
    });
    this.relaying++;
    const startedAt = this.deps.now();
    const relay = new SessionRelay(link, { ...opening, startTimeoutMs: this.deps.startTimeoutMs ?? 30_000 }, call.gone);
    let sessionId = "";
    let over = false;
    const finish = async () => {
      if (over) return;
      over = true;
      this.relaying--;
      link.close(relay.tally.ended?.message || "the session ended");
      if (sessionId) await this.record(caller, { tenantId: pod.tenantId, podId: pod.podId, sessionId, requestId: call.clientRequestId }, startedAt, opening, relay);
    };
    // A caller that goes away while its output waits to be sent may never take another answer, so this
    // generator may never resume to reach its finally: the session ends here then (once the relay has
    // noted why).
    const callerGone = () => setImmediate(() => void finish());
    call.gone.addEventListener("abort", callerGone);
    if (call.gone.aborted) callerGone();
    try {
      const output = link.output[Symbol.asyncIterator]();
      const started = await relay.start(output);
      sessionId = started.sessionId;
      yield {
        output: {
          case: "started",
          value: { ...started, command: opening.command, idleTimeout: opening.idleTimeoutSeconds, totalTimeout: opening.totalTimeoutSeconds },
        },
      };
      yield* relay.run(inputs, output);
    } finally {
      call.gone.removeEventListener("abort", callerGone);
      await finish();
    }
  }

  private async record(
    caller: Caller,
    { tenantId, podId, sessionId, requestId }: { tenantId: string; podId: string; sessionId: string; requestId: string },
    startedAt: number,
    { command, tty }: { command: string[]; tty: boolean },
    relay: SessionRelay,
  ): Promise<void> {
    const { bytesIn, bytesOut, ended } = relay.tally;
    const exited = ended?.reason === ExecSessionEnd.EXITED;
    try {
      await this.deps.audit.record({
        sessionId,
        tenantId,
        podId,
        username: caller.username,
        requestId,
        startedAt,
        endedAt: this.deps.now(),
        command,
        tty,
        bytesIn,
        bytesOut,
        exitCode: exited ? (ended?.exitCode ?? 0) : null,
        ending: ended?.message || "the session ended",
      });
    } catch (error) {
      this.deps.logger.error("an exec session could not be recorded", { pod: `${tenantId}/${podId}`, session: sessionId, error });
    }
  }
}
