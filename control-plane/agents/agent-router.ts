import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ExecReply } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { ReplicaService, type ForwardUploadRequestSchema } from "../../gen/tapis/pods/v1/replica_service_pb.js";
import { Handoff } from "../../shared/async/handoff.js";
import { metadataNames, withHeader } from "../../shared/rpc/metadata.js";
import { UnavailableError } from "../errors/domain-errors.js";
import type { AgentPresence } from "./agent-presence.js";
import type { AgentSessions, ExecOrder, UploadOrder, UploadStream } from "./agent-sessions.js";

/** Reaches an agent of a cluster, wherever it is connected. */
export interface AgentLink {
  exec(clusterId: string, order: ExecOrder, timeoutMs: number): Promise<ExecReply>;
  upload(clusterId: string, order: UploadOrder): Promise<UploadStream>;
}

/**
 * Sends exec and uploads to an agent connected to this replica, or else
 * forwards them to a replica that has one (see AgentPresence). Without a
 * replica token, forwarding is off and only local agents are reached.
 */
export class AgentRouter implements AgentLink {
  private readonly clients = new Map<string, Client<typeof ReplicaService>>();

  constructor(
    private readonly sessions: AgentSessions,
    private readonly presence: AgentPresence,
    private readonly replicaToken: string | undefined,
    /** Deadline of an upload handed to another replica, from its start. */
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
    await pieces.put({ clusterId, ...order });
    return {
      write: (data) => pieces.put({ data }),
      finish: async () => {
        pieces.end();
        return Number((await answer).bytes);
      },
      cancel: () => pieces.fail(new Error("upload cancelled")),
    };
  }

  private async remote(clusterId: string): Promise<Client<typeof ReplicaService>> {
    const url = this.replicaToken ? await this.presence.elsewhere(clusterId) : undefined;
    if (!url) throw new UnavailableError(`no agent of cluster '${clusterId}' is connected; try again shortly`);
    let client = this.clients.get(url);
    if (!client) {
      const presentToken = withHeader(metadataNames.replicaToken, this.replicaToken!);
      client = createClient(ReplicaService, createGrpcTransport({ baseUrl: url, interceptors: [presentToken] }));
      this.clients.set(url, client);
    }
    return client;
  }
}
