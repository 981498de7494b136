import { Readable } from "node:stream";
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  StorageKind,
  StorageProblem,
  type StoragePlace,
  type StorageReplySchema,
  type StorageRequest,
  type UploadDataSchema,
  type UploadProgress,
} from "../../gen/tapis/pods/v1/agent_service_pb.js";
import type { Logger } from "../../shared/logging/logger.js";
import { noContainer, type PodFiles } from "../files/pod-files.js";
import { SendWindow } from "../../shared/transfer/send-window.js";
import type { ClusterStorage, EntryInfo, ObjectRef } from "./cluster-storage.js";
import { copyIntoNewObject } from "./storage-copy.js";
import { invalidPath, StorageError, storageFailure } from "./storage-error.js";
import { readFile, readZip, type Download } from "./storage-read.js";

type Reply = MessageInitShape<typeof StorageReplySchema>;
type ReplyFields = Omit<Reply, "requestId" | "$typeName">;
type Piece = MessageInitShape<typeof UploadDataSchema>;

/** How the handler answers over the session. */
export interface StorageReplies {
  /** A reply, kept until the control plane acknowledges it. */
  reply(reply: Reply): void;
  /** A download piece, sent once; false when no session is open to carry it. */
  piece(piece: Piece): boolean;
}

/**
 * Performs the file operations the control plane asks for on the cluster's
 * storage, or in pods' containers (PodFiles), and answers each with one
 * reply; a read is followed by its bytes in pieces, at most a window ahead
 * of what the control plane has passed on.
 */
export class StorageRequests {
  private readonly downloads = new Map<string, SendWindow>();

  constructor(
    private readonly storage: ClusterStorage,
    private readonly podFiles: PodFiles,
    private readonly replies: StorageReplies,
    private readonly logger: Logger,
  ) {}

  take(request: StorageRequest): void {
    this.logger.debug("storage request", { operation: request.operation.case, request_id: request.clientRequestId || undefined });
    void this.run(request);
  }

  /** The control plane passed a download's bytes on (frees window), or wants no more of it. */
  progress(progress: UploadProgress): void {
    const window = this.downloads.get(progress.requestId);
    if (!window) return;
    if (progress.done || progress.error) window.fail(new Error(progress.error || "the control plane ended the download"));
    else window.acknowledge(Number(progress.bytesWritten));
  }

  private async run(request: StorageRequest): Promise<void> {
    const requestId = request.requestId;
    let outcome: { reply: ReplyFields; download?: Download };
    try {
      outcome = await this.perform(request);
    } catch (error) {
      const failure = storageFailure(error);
      this.replies.reply({ requestId, error: failure.message, problem: failure.problem, ...(failure.fileSize !== undefined ? { bytes: BigInt(failure.fileSize) } : {}) });
      return;
    }
    this.replies.reply({ requestId, ...outcome.reply });
    if (outcome.download) await this.send(requestId, outcome.download, request.clientRequestId);
  }

  private async perform(request: StorageRequest): Promise<{ reply: ReplyFields; download?: Download }> {
    const operation = request.operation;
    switch (operation.case) {
      case "createFolder":
        await this.storage.createFolder(refOf(operation.value));
        return { reply: {} };
      case "stat":
        return { reply: { files: [fileInfo(await this.storage.stat(refOf(operation.value), operation.value.path))] } };
      case "list": {
        const { entries, truncated } = await this.storage.list(refOf(operation.value), operation.value.path);
        return { reply: { files: entries.map(fileInfo), truncated } };
      }
      case "usage":
        return { reply: { bytes: BigInt(await this.storage.usage(refOf(operation.value), operation.value.path)) } };
      case "remove":
        await this.storage.remove(refOf(operation.value));
        return { reply: {} };
      case "copy": {
        const { source, destination, limitBytes } = operation.value;
        if (!source || !destination) throw invalidPath("a copy names its source and destination");
        const bytes = await copyIntoNewObject(this.storage, refOf(source), source.path, refOf(destination), destination.path, Number(limitBytes));
        return { reply: { bytes: BigInt(bytes) } };
      }
      case "read": {
        const place = operation.value.place;
        if (!place) throw invalidPath("a read names its place");
        const ref = refOf(place);
        const { range, ifNoneMatch } = operation.value;
        // A folder has no bytes of its own: it is sent as a zip, asked for or not; a zip is always sent whole.
        const download = operation.value.zip
          ? await readZip(this.storage, ref, place.path)
          : await readFile(this.storage, ref, place.path, { range, ifNoneMatch }).catch((error: unknown) => {
              if (error instanceof StorageError && error.problem === StorageProblem.IS_FOLDER) return readZip(this.storage, ref, place.path);
              throw error;
            });
        return { reply: readReply(download), download };
      }
      case "listPodFiles": {
        const listing = await this.podFiles.list(operation.value);
        if (listing === noContainer) return { reply: { simulated: true } };
        return { reply: { podFiles: listing.files, truncated: listing.truncated } };
      }
      case "readPodFile": {
        const place = operation.value.place;
        if (!place) throw invalidPath("a read names its place");
        const download = await this.podFiles.read(place, operation.value.zip);
        // Nothing to send, but a read is always followed by its (here no) bytes.
        if (download === noContainer) return { reply: { simulated: true }, download: { stream: Readable.from([]), contentType: "", filename: "" } };
        const reply: ReplyFields = { contentType: download.contentType, filename: download.filename };
        if (download.contentLength !== undefined) reply.contentLength = BigInt(download.contentLength);
        return { reply, download };
      }
      default:
        throw invalidPath("unknown storage operation");
    }
  }

  /** Sends a download's bytes, waiting while a window of them is unacknowledged. */
  private async send(requestId: string, download: Download, clientRequestId: string): Promise<void> {
    const window = new SendWindow(() => new Error("the control plane took no part of the download for too long"));
    this.downloads.set(requestId, window);
    let bytes = 0;
    try {
      for await (const chunk of download.stream as AsyncIterable<Buffer>) {
        await window.reserve(chunk.length);
        if (!this.replies.piece({ requestId, data: chunk })) throw new Error("the session closed");
        bytes += chunk.length;
      }
      await download.complete;
      this.replies.piece({ requestId, last: true });
      this.logger.debug("download sent", { offset: download.contentRange?.first ?? 0, bytes, request_id: clientRequestId || undefined });
    } catch (error) {
      download.stream.destroy();
      if (!window.error) this.replies.piece({ requestId, cancel: true });
      this.logger.debug("download ended early", { error: String(error) });
    } finally {
      this.downloads.delete(requestId);
    }
  }
}

/** What the reply to a read tells of the pieces that follow. */
function readReply(download: Download): ReplyFields {
  const reply: ReplyFields = { contentType: download.contentType, filename: download.filename, etag: download.etag ?? "", notModified: download.notModified ?? false };
  if (download.contentLength !== undefined) reply.contentLength = BigInt(download.contentLength);
  const range = download.contentRange;
  if (range) reply.contentRange = { first: BigInt(range.first), last: BigInt(range.last), size: BigInt(range.size) };
  return reply;
}

export function refOf(place: StoragePlace): ObjectRef {
  if (place.kind === StorageKind.UNSPECIFIED) throw invalidPath("the place names no kind of object");
  return { kind: place.kind === StorageKind.VOLUME ? "volumes" : "snapshots", tenantId: place.tenantId, objectId: place.objectId };
}

function fileInfo(entry: EntryInfo) {
  return { ...entry, size: BigInt(entry.size) };
}
