import type { MessageInitShape } from "@bufbuild/protobuf";
import { StorageKind, type StoragePlaceSchema, type StorageReply } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import type { FileInfo } from "../../gen/tapis/pods/v1/common_pb.js";
import type { AgentLink } from "../agents/agent-router.js";
import type { Download, UploadStream } from "../agents/agent-sessions.js";
import { storageFailed } from "../agents/storage-problems.js";
import type { DownloadConditions } from "./download-conditions.js";
import type { StorageObjectKind } from "./storage-object.js";

type Place = MessageInitShape<typeof StoragePlaceSchema>;

/** An object of the storage and the cluster that holds it. */
export interface ObjectOnCluster {
  kind: StorageObjectKind;
  tenantId: string;
  id: string;
  clusterId: string;
}

export interface StorageTimeouts {
  /** A quick operation: make or remove a folder, describe or list entries, count bytes. */
  operationMs: number;
  /** A copy into a new snapshot. */
  copyMs: number;
}

/**
 * The file operations the control plane asks of the agents, which alone
 * hold the clusters' storage. Each resolves with its result or throws
 * StorageFailedError (what the agent refused, and why) or UnavailableError
 * (no agent answered); services put either in their client's terms.
 */
export class StorageFiles {
  constructor(
    private readonly agents: AgentLink,
    private readonly timeouts: StorageTimeouts,
  ) {}

  async createFolder(object: ObjectOnCluster): Promise<void> {
    await this.run(object.clusterId, { case: "createFolder", value: placeOf(object, "") });
  }

  async remove(object: ObjectOnCluster): Promise<void> {
    await this.run(object.clusterId, { case: "remove", value: placeOf(object, "") });
  }

  async usage(object: ObjectOnCluster): Promise<number> {
    return Number((await this.run(object.clusterId, { case: "usage", value: placeOf(object, "") })).bytes);
  }

  async stat(object: ObjectOnCluster, path: string): Promise<FileInfo> {
    return (await this.run(object.clusterId, { case: "stat", value: placeOf(object, path) })).files[0]!;
  }

  async list(object: ObjectOnCluster, clientRequestId: string): Promise<{ files: FileInfo[]; truncated: boolean }> {
    const reply = await this.run(object.clusterId, { case: "list", value: placeOf(object, "") }, clientRequestId);
    return { files: reply.files, truncated: reply.truncated };
  }

  /** Copies `sourcePath` of `source` into the new object `destination`, landing at `destinationPath` ("" keeps the source's path); its bytes. */
  async copy(source: ObjectOnCluster, sourcePath: string, destination: ObjectOnCluster, destinationPath: string, limitBytes: number): Promise<number> {
    const reply = await this.run(
      source.clusterId,
      { case: "copy", value: { source: placeOf(source, sourcePath), destination: placeOf(destination, destinationPath), limitBytes: BigInt(limitBytes) } },
      "",
      this.timeouts.copyMs,
    );
    return Number(reply.bytes);
  }

  /** Reads a file (or a zip); the agent applies `conditions` to the file it opens. */
  download(object: ObjectOnCluster, path: string, zip: boolean, conditions: DownloadConditions, clientRequestId: string): Promise<Download> {
    const read = { place: placeOf(object, path), zip, ...conditions };
    return this.agents.download(object.clusterId, { clientRequestId, operation: { case: "read", value: read } }, this.timeouts.operationMs);
  }

  /** Starts writing the file at `path`; the object may hold at most `limitBytes` with it. */
  upload(object: ObjectOnCluster, path: string, limitBytes: number, clientRequestId: string): Promise<UploadStream> {
    return this.agents.upload(object.clusterId, {
      tenantId: object.tenantId,
      podId: "",
      uid: "",
      destPath: "",
      clientRequestId,
      storage: placeOf(object, path),
      limitBytes: BigInt(limitBytes),
    });
  }

  private async run(clusterId: string, operation: NonNullable<Parameters<AgentLink["storage"]>[1]["operation"]>, clientRequestId = "", timeoutMs = this.timeouts.operationMs): Promise<StorageReply> {
    const reply = await this.agents.storage(clusterId, { clientRequestId, operation }, timeoutMs);
    if (reply.error) throw storageFailed(reply.problem, reply.error);
    return reply;
  }
}

function placeOf(object: ObjectOnCluster, path: string): Place {
  return { kind: object.kind === "volume" ? StorageKind.VOLUME : StorageKind.SNAPSHOT, tenantId: object.tenantId, objectId: object.id, path };
}
