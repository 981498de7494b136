import { randomUUID } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ExecReply, SessionResponseSchema } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { UnavailableError } from "../errors/domain-errors.js";

type Outgoing = MessageInitShape<typeof SessionResponseSchema>;
/** An exec request before the registry gives it an id. */
export interface ExecOrder {
  tenantId: string;
  podId: string;
  uid: string;
  commands: { argv: string[] }[];
  commandTimeoutSeconds: number;
  totalTimeoutSeconds: number;
  stopOnFailure: boolean;
}

interface Channel {
  clusterId: string;
  send(message: Outgoing): void;
}

interface Pending {
  channel: Channel;
  resolve(reply: ExecReply): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
}

/**
 * The agents connected to this control plane, by cluster, and the requests
 * (exec) sent down their sessions awaiting a reply. A request fails with
 * UnavailableError when no agent of the pod's cluster is connected, when the
 * agent's session ends first, or when the reply does not come in time.
 */
export class AgentSessions {
  private readonly channels = new Map<string, Set<Channel>>();
  private readonly pending = new Map<string, Pending>();

  /** Adds a connected agent; the returned function removes it again. */
  register(clusterId: string, send: (message: Outgoing) => void): () => void {
    const channel: Channel = { clusterId, send };
    let set = this.channels.get(clusterId);
    if (!set) this.channels.set(clusterId, (set = new Set()));
    set.add(channel);
    return () => {
      set.delete(channel);
      for (const [id, request] of this.pending) {
        if (request.channel !== channel) continue;
        this.settle(id)?.reject(new UnavailableError(`the agent of cluster '${clusterId}' disconnected before answering`));
      }
    };
  }

  connected(clusterId: string): number {
    return this.channels.get(clusterId)?.size ?? 0;
  }

  exec(clusterId: string, request: ExecOrder, timeoutMs: number): Promise<ExecReply> {
    const channels = [...(this.channels.get(clusterId) ?? [])];
    if (channels.length === 0) return Promise.reject(new UnavailableError(`no agent of cluster '${clusterId}' is connected; try again shortly`));
    const channel = channels[Math.floor(Math.random() * channels.length)]!;
    const requestId = randomUUID();
    return new Promise<ExecReply>((resolve, reject) => {
      const timer = setTimeout(() => this.settle(requestId)?.reject(new UnavailableError("the agent did not answer in time")), timeoutMs);
      this.pending.set(requestId, { channel, resolve, reject, timer });
      channel.send({ payload: { case: "exec", value: { ...request, requestId } } });
    });
  }

  /** Hands an agent's reply to the request waiting for it; late or unknown replies are dropped. */
  reply(reply: ExecReply): void {
    this.settle(reply.requestId)?.resolve(reply);
  }

  private settle(requestId: string): Pending | undefined {
    const request = this.pending.get(requestId);
    if (!request) return undefined;
    this.pending.delete(requestId);
    clearTimeout(request.timer);
    return request;
  }
}
