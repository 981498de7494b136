import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ExecReply, StorageReply } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { ReplicaService, type ForwardUploadRequestSchema } from "../../gen/tapis/pods/v1/replica_service_pb.js";
import { Handoff } from "../../shared/async/handoff.js";
import { WideWindowSessionManager } from "../../shared/rpc/http2-windows.js";
import { metadataNames, withHeader } from "../../shared/rpc/metadata.js";
import { UnavailableError } from "../errors/domain-errors.js";
import type { AgentPresence } from "./agent-presence.js";
import type { AgentSessions, Download, ExecOrder, StorageOrder, UploadOrder, UploadStream } from "./agent-sessions.js";
import type { ExecLink, ExecOpenOrder } from "./exec-link.js";
import { forwardedExecLink } from "./forwarded-exec-link.js";
import { storageFailed } from "./storage-problems.js";

/** Reaches an agent of a cluster, wherever it is connected. */
export interface AgentLink {
  exec(clusterId: string, order: ExecOrder, timeoutMs: number): Promise<ExecReply>;
  upload(clusterId: string, order: UploadOrder): Promise<UploadStream>;
  /** A file operation on the cluster's storage; resolves with the agent's reply, failures included. */
  storage(clusterId: string, order: StorageOrder, timeoutMs: number): Promise<StorageReply>;
  /** A file read from the cluster's storage; rejects with the agent's failure (StorageFailedError). */
  download(clusterId: string, order: StorageOrder, timeoutMs: number): Promise<Download>;
  /** An interactive exec session on an agent of the cluster. */
  openExecSession(clusterId: string, order: ExecOpenOrder): Promise<ExecLink>;
}

/**
 * Sends exec, uploads and file operations to an agent connected to this
 * replica, or else forwards them to a replica that has one (see
 * AgentPresence). Without a replica token, forwarding is off and only local
 * agents are reached.
 */
export class AgentRouter implements AgentLink {
  private readonly clients = new Map<string, Client<typeof ReplicaService>>();

  constructor(
    private readonly sessions: AgentSessions,
    private readonly presence: AgentPresence,
    private readonly replicaToken: string | undefined,
    /** Deadline of an upload or download handed to another replica, from its start. */
    private readonly streamTimeoutMs: number,
  ) {}

  async exec(clusterId: string, order: ExecOrder, timeoutMs: number): Promise<ExecReply> {
    if (this.sessions.connected(clusterId) > 0) return this.sessions.exec(clusterId, order, timeoutMs);
    const replica = await this.remote(clusterId);
    const { reply } = await replica.forwardExec({ clusterId, exec: order, timeoutMs }, { timeoutMs: timeoutMs + 5_000 });
    if (!reply) throw new UnavailableError("the replica holding the agent gave no answer");
    return reply;
  }

  async upload(clusterId: string, order: UploadOrder): Promise<UploadStream> {
    if (this.sessions.connected(clusterId) > 0) return this.sessions.upload(clusterId, order);
    const replica = await this.remote(clusterId);
    const pieces = new Handoff<MessageInitShape<typeof ForwardUploadRequestSchema>>();
    const answer = replica.forwardUpload(pieces, { timeoutMs: this.streamTimeoutMs });
    // Until finish() awaits it, a failure must not go unhandled; it resurfaces there.
    answer.catch(() => undefined);
    // The other replica answers early when the upload fails there: the write waiting then learns why.
    const endedEarly = answer.then(
      (response) => Promise.reject(response.error ? storageFailed(response.problem, response.error) : new UnavailableError("the upload ended early")),
      (error: unknown) => Promise.reject(error),
    );
    endedEarly.catch(() => undefined);
    await Promise.race([pieces.put({ clusterId, ...order }), endedEarly]);
    return {
      write: (data) => Promise.race([pieces.put({ data }), endedEarly]),
      finish: async () => {
        pieces.end();
        const response = await answer;
        if (response.error) throw storageFailed(response.problem, response.error);
        return { bytes: Number(response.bytes), objectBytes: Number(response.objectBytes) };
      },
      cancel: () => pieces.fail(new Error("upload cancelled")),
    };
  }

  async storage(clusterId: string, order: StorageOrder, timeoutMs: number): Promise<StorageReply> {
    if (this.sessions.connected(clusterId) > 0) return this.sessions.storage(clusterId, order, timeoutMs);
    const replica = await this.remote(clusterId);
    for await (const message of replica.forwardStorage({ clusterId, request: order, timeoutMs }, { timeoutMs: timeoutMs + 5_000 })) {
      if (message.reply) return message.reply;
    }
    throw new UnavailableError("the replica holding the agent gave no answer");
  }

  async download(clusterId: string, order: StorageOrder, timeoutMs: number): Promise<Download> {
    if (this.sessions.connected(clusterId) > 0) return this.sessions.download(clusterId, order, timeoutMs);
    const replica = await this.remote(clusterId);
    const abort = new AbortController();
    const messages = replica.forwardStorage({ clusterId, request: order, timeoutMs }, { timeoutMs: this.streamTimeoutMs, signal: abort.signal })[Symbol.asyncIterator]();
    const first = await messages.next();
    const reply = first.done ? undefined : first.value.reply;
    if (!reply) throw new UnavailableError("the replica holding the agent gave no answer");
    if (reply.error) {
      abort.abort();
      throw storageFailed(reply.problem, reply.error, reply.bytes);
    }
    return { reply, pieces: forwardedBytes(messages, abort) };
  }

  async openExecSession(clusterId: string, order: ExecOpenOrder): Promise<ExecLink> {
    if (this.sessions.connected(clusterId) > 0) return this.sessions.openExecSession(clusterId, order);
    return forwardedExecLink(await this.remote(clusterId), clusterId, order, this.streamTimeoutMs);
  }

  private async remote(clusterId: string): Promise<Client<typeof ReplicaService>> {
    const url = this.replicaToken ? await this.presence.elsewhere(clusterId) : undefined;
    if (!url) throw new UnavailableError(`no agent of cluster '${clusterId}' is connected; try again shortly`);
    let client = this.clients.get(url);
    if (!client) {
      const presentToken = withHeader(metadataNames.replicaToken, this.replicaToken!);
      client = createClient(ReplicaService, createGrpcTransport({ baseUrl: url, interceptors: [presentToken], sessionManager: new WideWindowSessionManager(url) }));
      this.clients.set(url, client);
    }
    return client;
  }
}

/** The bytes another replica streams after its reply; stopping early ends the call there. */
async function* forwardedBytes(messages: AsyncIterator<{ data: Uint8Array }>, abort: AbortController): AsyncGenerator<Uint8Array> {
  let complete = false;
  try {
    for (let next = await messages.next(); !next.done; next = await messages.next()) {
      if (next.value.data.length > 0) yield next.value.data;
    }
    complete = true;
  } finally {
    if (!complete) abort.abort();
  }
}
