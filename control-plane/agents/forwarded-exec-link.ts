import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import type { ForwardExecSessionRequestSchema, ForwardExecSessionResponse, ReplicaService } from "../../gen/tapis/pods/v1/replica_service_pb.js";
import { Handoff } from "../../shared/async/handoff.js";
import { failedFrame, isExecOutput, type ExecLink, type ExecOpenOrder, type ExecOutput } from "./exec-link.js";

/**
 * An exec session forwarded to the replica that holds the cluster's agent.
 * Between the replicas HTTP/2's flow control is the window: inputs are put
 * only as fast as the call takes them, and output is read only as fast as
 * it is taken. Closing the link cancels the call, which closes the session
 * there.
 */
export function forwardedExecLink(replica: Client<typeof ReplicaService>, clusterId: string, order: ExecOpenOrder, streamTimeoutMs: number): ExecLink {
  const requests = new Handoff<MessageInitShape<typeof ForwardExecSessionRequestSchema>>();
  const abort = new AbortController();
  const responses = replica.forwardExecSession(requests, { signal: abort.signal, timeoutMs: streamTimeoutMs });
  requests.put({ clusterId, input: { frame: { case: "open", value: order } } }).catch(() => undefined);
  return {
    send: (input) => requests.put({ input: { frame: input } }),
    output: { [Symbol.asyncIterator]: () => relayed(responses, abort) },
    close: () => abort.abort(),
  };
}

async function* relayed(responses: AsyncIterable<ForwardExecSessionResponse>, abort: AbortController): AsyncGenerator<ExecOutput> {
  try {
    for await (const response of responses) {
      const frame = response.output?.frame;
      if (!frame || !isExecOutput(frame)) continue;
      yield frame;
      if (frame.case === "ended") return;
    }
    yield failedFrame("the replica holding the agent ended the session without saying how");
  } catch (error) {
    if (abort.signal.aborted) return;
    yield failedFrame(`the connection to the replica holding the agent broke: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    abort.abort();
  }
}
