import { randomUUID } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ExecReply, SessionResponseSchema, UploadProgress } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { FailedPreconditionError, UnavailableError } from "../errors/domain-errors.js";

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

/** Where a file being uploaded into a pod goes. */
export interface UploadOrder {
  tenantId: string;
  podId: string;
  uid: string;
  destPath: string;
  clientRequestId: string;
}

/** The sending end of an upload: writes wait while the agent is a window behind. */
export interface UploadStream {
  write(data: Uint8Array): Promise<void>;
  /** Sends the end and resolves with the bytes the agent wrote. */
  finish(): Promise<number>;
  /** Tells the agent to stop and discard what it has. */
  cancel(): void;
}

/** Bytes an upload may have in flight to the agent, unacknowledged. */
const uploadWindowBytes = 8 * 1024 * 1024;
/** An agent that frees no window for this long has stopped taking the upload. */
const uploadStallMs = 120_000;

interface Upload {
  channel: Channel;
  sent: number;
  written: number;
  failure: Error | null;
  wake: (() => void) | null;
  done: { resolve(bytes: number): void; reject(error: unknown): void } | null;
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
  private readonly uploads = new Map<string, Upload>();

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
      for (const upload of this.uploads.values()) if (upload.channel === channel) this.fail(upload, gone);
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
    const channel = this.pick(clusterId);
    const requestId = randomUUID();
    const upload: Upload = { channel, sent: 0, written: 0, failure: null, wake: null, done: null };
    this.uploads.set(requestId, upload);
    channel.send({ payload: { case: "upload", value: { requestId, ...order } } });
    return {
      write: async (data) => {
        while (!upload.failure && upload.sent - upload.written > uploadWindowBytes) await this.progressOf(upload);
        if (upload.failure) throw upload.failure;
        upload.sent += data.length;
        channel.send({ payload: { case: "upload", value: { requestId, data } } });
      },
      finish: () =>
        new Promise<number>((resolve, reject) => {
          if (upload.failure) return reject(upload.failure);
          upload.done = { resolve, reject };
          channel.send({ payload: { case: "upload", value: { requestId, last: true } } });
        }),
      cancel: () => {
        this.uploads.delete(requestId);
        channel.send({ payload: { case: "upload", value: { requestId, cancel: true } } });
      },
    };
  }

  /** Progress of an upload from its agent: frees window, or ends it. */
  uploadProgress(progress: UploadProgress): void {
    const upload = this.uploads.get(progress.requestId);
    if (!upload) return;
    upload.written = Number(progress.bytesWritten);
    if (progress.error) return this.fail(upload, new FailedPreconditionError(`the file could not be written: ${progress.error}`), progress.requestId);
    upload.wake?.();
    upload.wake = null;
    if (progress.done) {
      this.uploads.delete(progress.requestId);
      upload.done?.resolve(upload.written);
    }
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

  /** Waits for the agent to free some window; fails the upload when it stalls. */
  private progressOf(upload: Upload): Promise<void> {
    return new Promise<void>((resolve) => {
      const stalled = setTimeout(() => this.fail(upload, new UnavailableError(`the agent took no part of the upload for ${uploadStallMs / 1000} s`)), uploadStallMs);
      upload.wake = () => {
        clearTimeout(stalled);
        resolve();
      };
    });
  }

  private fail(upload: Upload, error: Error, requestId?: string): void {
    upload.failure = error;
    upload.wake?.();
    upload.wake = null;
    upload.done?.reject(error);
    for (const [id, candidate] of this.uploads) if (candidate === upload || id === requestId) this.uploads.delete(id);
  }

  private settle(requestId: string): Pending | undefined {
    const request = this.pending.get(requestId);
    if (!request) return undefined;
    this.pending.delete(requestId);
    clearTimeout(request.timer);
    return request;
  }
}

/**
 * Sends the data of `first` and of every piece left in `rest` through
 * `stream`, then finishes it and resolves with the bytes written. Any failure
 * on the way cancels the upload.
 */
export async function sendPieces<T>(stream: UploadStream, first: T, rest: AsyncIterator<T>, dataOf: (piece: T) => Uint8Array): Promise<number> {
  try {
    for (let piece: IteratorResult<T> = { value: first }; !piece.done; piece = await rest.next()) {
      const data = dataOf(piece.value);
      if (data.length > 0) await stream.write(data);
    }
  } catch (error) {
    stream.cancel();
    throw error;
  }
  return stream.finish();
}
