import { randomUUID } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  ExecReply,
  ExecSessionOutput,
  SessionResponseSchema,
  StorageReply,
  StorageRequest,
  StorageRequestSchema,
  UploadData,
  UploadProgress,
} from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { UnavailableError } from "../errors/domain-errors.js";
import type { ExecLink, ExecOpenOrder } from "./exec-link.js";
import { SessionExecs } from "./session-execs.js";
import { SessionTransfers, type Download, type UploadOrder, type UploadStream } from "./session-transfers.js";

export type { Download, UploadOrder, UploadResult, UploadStream } from "./session-transfers.js";
export { sendPieces } from "./session-transfers.js";

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
  clientRequestId: string;
}

interface Channel {
  clusterId: string;
  agent: ConnectedAgent;
  send(message: Outgoing): void;
}

/** An agent with a session open on this replica. */
export interface ConnectedAgent {
  agentId: string;
  version: string;
  connectedAt: number;
  lastSeenAt: number;
  /** As the agent last said; healthy until it says otherwise. */
  health: AgentHealthReport;
  /** Reports read from the agent and not yet stored. */
  reportsWaiting: number;
}

/** How an agent says it is doing. */
export interface AgentHealthReport {
  healthy: boolean;
  problems: string[];
  /** Epoch milliseconds; null while healthy. */
  unhealthySince: number | null;
}

interface Pending {
  channel: Channel;
  resolve(reply: ExecReply): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
}

/** A file operation on the storage, without the id the registry gives it. */
export type StorageOrder = Omit<Exclude<MessageInitShape<typeof StorageRequestSchema>, StorageRequest>, "requestId">;

/**
 * The agents connected to this control plane, by cluster, and the requests
 * (exec, file operations, uploads, downloads) sent down their sessions
 * awaiting an answer. A request fails with UnavailableError when no agent of
 * the cluster is connected, when the agent's session ends first, or when the
 * answer does not come in time.
 */
export class AgentSessions {
  private readonly channels = new Map<string, Set<Channel>>();
  private readonly pending = new Map<string, Pending>();
  private readonly transfers = new SessionTransfers();
  private readonly execs = new SessionExecs();

  /** Adds a connected agent; the returned function removes it again. */
  register(clusterId: string, agent: ConnectedAgent, send: (message: Outgoing) => void): () => void {
    const channel: Channel = { clusterId, agent, send };
    let set = this.channels.get(clusterId);
    if (!set) this.channels.set(clusterId, (set = new Set()));
    set.add(channel);
    return () => {
      set.delete(channel);
      const gone = new UnavailableError(`the agent of cluster '${clusterId}' disconnected before answering`);
      for (const [id, request] of this.pending) if (request.channel === channel) this.settle(id)?.reject(gone);
      this.transfers.closed(channel, gone);
      this.execs.closed(channel, `the agent of cluster '${clusterId}' disconnected`);
    };
  }

  connected(clusterId: string): number {
    return this.channels.get(clusterId)?.size ?? 0;
  }

  /** Agents connected here, by cluster. */
  connectedByCluster(): Map<string, number> {
    return new Map([...this.channels].map(([clusterId, channels]) => [clusterId, channels.size]));
  }

  agentsOf(clusterId: string): ConnectedAgent[] {
    return [...(this.channels.get(clusterId) ?? [])].map((channel) => channel.agent);
  }

  exec(clusterId: string, request: ExecOrder, timeoutMs: number): Promise<ExecReply> {
    let channel: Channel;
    try {
      channel = this.pick(clusterId);
    } catch (error) {
      return Promise.reject(error);
    }
    const requestId = randomUUID();
    return new Promise<ExecReply>((resolve, reject) => {
      const timer = setTimeout(() => this.settle(requestId)?.reject(new UnavailableError("the agent did not answer in time")), timeoutMs);
      this.pending.set(requestId, { channel, resolve, reject, timer });
      channel.send({ payload: { case: "exec", value: { ...request, requestId } } });
    });
  }

  /**
   * Starts streaming a file to an agent of the cluster. Memory stays bounded:
   * a write waits while more than a window of bytes is unacknowledged.
   */
  upload(clusterId: string, order: UploadOrder): UploadStream {
    return this.transfers.upload(this.pick(clusterId), order);
  }

  /** Progress of an upload from its agent: frees window, or ends it. */
  uploadProgress(progress: UploadProgress): void {
    this.transfers.uploadProgress(progress);
  }

  /** A file operation on the cluster's storage by one of its agents; resolves with the reply, failures included. */
  storage(clusterId: string, order: StorageOrder, timeoutMs: number): Promise<StorageReply> {
    try {
      return this.transfers.storage(this.pick(clusterId), order, timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** A file read from the cluster's storage, as it streams; rejects with the agent's failure. */
  async download(clusterId: string, order: StorageOrder, timeoutMs: number): Promise<Download> {
    return this.transfers.download(this.pick(clusterId), order, timeoutMs);
  }

  storageReply(reply: StorageReply): void {
    this.transfers.storageReply(reply);
  }

  downloadPiece(piece: UploadData): void {
    this.transfers.downloadPiece(piece);
  }

  /** Opens an interactive exec session on an agent of the cluster connected here. */
  openExecSession(clusterId: string, order: ExecOpenOrder): ExecLink {
    return this.execs.open(this.pick(clusterId), order);
  }

  /** A frame an agent sent about one of its exec sessions. */
  execSessionOutput(output: ExecSessionOutput): void {
    this.execs.output(output);
  }

  /** Exec sessions open to agents connected here, and the stdin they hold unacknowledged. */
  execSessionsHeld(): { open: number; unacknowledgedStdinBytes: number } {
    return { open: this.execs.count, unacknowledgedStdinBytes: this.execs.unacknowledgedStdinBytes };
  }

  /** Hands an agent's reply to the request waiting for it; late or unknown replies are dropped. */
  reply(reply: ExecReply): void {
    this.settle(reply.requestId)?.resolve(reply);
  }

  private pick(clusterId: string): Channel {
    const channels = [...(this.channels.get(clusterId) ?? [])];
    if (channels.length === 0) throw new UnavailableError(`no agent of cluster '${clusterId}' is connected; try again shortly`);
    return channels[Math.floor(Math.random() * channels.length)]!;
  }

  private settle(requestId: string): Pending | undefined {
    const request = this.pending.get(requestId);
    if (!request) return undefined;
    this.pending.delete(requestId);
    clearTimeout(request.timer);
    return request;
  }
}
