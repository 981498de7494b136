import { randomUUID } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  SessionResponseSchema,
  StoragePlaceSchema,
  StorageReply,
  StorageRequest,
  StorageRequestSchema,
  UploadData,
  UploadProgress,
} from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { AsyncQueue } from "../../shared/async/async-queue.js";
import { ReceiveCounter, SendWindow } from "../../shared/transfer/send-window.js";
import { FailedPreconditionError, UnavailableError } from "../errors/domain-errors.js";
import { storageFailed } from "./storage-problems.js";

type Outgoing = MessageInitShape<typeof SessionResponseSchema>;
type StorageRequestInit = Exclude<MessageInitShape<typeof StorageRequestSchema>, StorageRequest>;

/** A session to one agent, as transfers use it. */
export interface TransferChannel {
  send(message: Outgoing): void;
}

/** Where a file being uploaded goes: into a pod's container, or (with `storage`) the cluster's storage. */
export interface UploadOrder {
  tenantId: string;
  podId: string;
  uid: string;
  destPath: string;
  clientRequestId: string;
  storage?: MessageInitShape<typeof StoragePlaceSchema>;
  /** With storage: the most bytes its object may hold with the file. */
  limitBytes?: bigint;
}

/** What an upload achieved. */
export interface UploadResult {
  /** Bytes the agent wrote. */
  bytes: number;
  /** For an upload into storage: the bytes its object holds now. */
  objectBytes: number;
}

/** The sending end of an upload: writes wait while the agent is a window behind. */
export interface UploadStream {
  write(data: Uint8Array): Promise<void>;
  /** Sends the end and resolves once the agent has the whole file. */
  finish(): Promise<UploadResult>;
  /** Tells the agent to stop and discard what it has. */
  cancel(): void;
}

/** A file an agent sends: what it is, then its bytes (taking them frees the agent's window). */
export interface Download {
  reply: StorageReply;
  pieces: AsyncIterable<Uint8Array>;
}

interface Upload {
  channel: TransferChannel;
  window: SendWindow;
  written: number;
  storage: boolean;
  done: { resolve(result: UploadResult): void; reject(error: unknown): void } | null;
}

interface PendingReply {
  channel: TransferChannel;
  resolve(reply: StorageReply): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
}

interface IncomingFile {
  channel: TransferChannel;
  pieces: AsyncQueue<Uint8Array>;
}

/**
 * Files moving between this replica and its agents: uploads (to a pod's
 * container or the storage), file operations on the storage awaiting their
 * reply, and downloads. Both directions are windowed (send-window.ts), so
 * no file is ever held whole.
 */
export class SessionTransfers {
  private readonly uploads = new Map<string, Upload>();
  private readonly replies = new Map<string, PendingReply>();
  private readonly downloads = new Map<string, IncomingFile>();

  /** Starts streaming a file to the agent on `channel`. */
  upload(channel: TransferChannel, order: UploadOrder): UploadStream {
    const requestId = randomUUID();
    const window = new SendWindow(() => new UnavailableError("the agent took no part of the upload for too long"));
    const upload: Upload = { channel, window, written: 0, storage: order.storage !== undefined, done: null };
    this.uploads.set(requestId, upload);
    channel.send({ payload: { case: "upload", value: { requestId, ...order } } });
    return {
      write: async (data) => {
        await window.reserve(data.length);
        channel.send({ payload: { case: "upload", value: { requestId, data } } });
      },
      finish: () =>
        new Promise<UploadResult>((resolve, reject) => {
          if (window.error) return reject(window.error);
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
    if (progress.error) {
      const failure = upload.storage ? storageFailed(progress.problem, progress.error) : new FailedPreconditionError(`the file could not be written: ${progress.error}`);
      return this.failUpload(progress.requestId, upload, failure);
    }
    upload.window.acknowledge(upload.written);
    if (progress.done) {
      this.uploads.delete(progress.requestId);
      upload.done?.resolve({ bytes: upload.written, objectBytes: Number(progress.objectBytes) });
    }
  }

  /** Asks the agent on `channel` for a file operation; resolves with its reply (failed operations included). */
  storage(channel: TransferChannel, request: Omit<StorageRequestInit, "requestId">, timeoutMs: number): Promise<StorageReply> {
    return this.ask(randomUUID(), channel, request, timeoutMs);
  }

  /**
   * Asks for a file (a StorageRead): resolves with the agent's reply and the
   * file's pieces, or rejects with the failure the agent reported.
   */
  async download(channel: TransferChannel, request: Omit<StorageRequestInit, "requestId">, timeoutMs: number): Promise<Download> {
    const requestId = randomUUID();
    const pieces = new AsyncQueue<Uint8Array>();
    this.downloads.set(requestId, { channel, pieces });
    let reply: StorageReply;
    try {
      reply = await this.ask(requestId, channel, request, timeoutMs);
    } catch (error) {
      this.downloads.delete(requestId);
      throw error;
    }
    if (reply.error) {
      this.downloads.delete(requestId);
      throw storageFailed(reply.problem, reply.error, reply.bytes);
    }
    return { reply, pieces: this.taken(requestId, channel, pieces, reply.contentLength) };
  }

  /** A reply of the agent to a file operation; late or unknown ones are dropped. */
  storageReply(reply: StorageReply): void {
    this.settleReply(reply.requestId)?.resolve(reply);
  }

  /** A piece of a download from the agent. */
  downloadPiece(piece: UploadData): void {
    const download = this.downloads.get(piece.requestId);
    if (!download) return;
    if (piece.data.length > 0) download.pieces.push(piece.data);
    if (piece.cancel) download.pieces.fail(new UnavailableError("the agent stopped sending the file"));
    else if (piece.last) download.pieces.end();
  }

  /** The session `channel` ended: everything it carried fails. */
  closed(channel: TransferChannel, error: Error): void {
    for (const [id, pending] of this.replies) if (pending.channel === channel) this.settleReply(id)?.reject(error);
    for (const [id, upload] of this.uploads) if (upload.channel === channel) this.failUpload(id, upload, error);
    for (const [id, download] of this.downloads) {
      if (download.channel !== channel) continue;
      this.downloads.delete(id);
      download.pieces.fail(error);
    }
  }

  /**
   * Hands a download's pieces on, telling the agent how far they have been
   * taken; stopping early ends it. A file of known length is complete with
   * its last byte, without waiting for the agent's closing piece, so the
   * client's response ends at once.
   */
  private async *taken(requestId: string, channel: TransferChannel, pieces: AsyncQueue<Uint8Array>, length: bigint | undefined): AsyncGenerator<Uint8Array> {
    const counter = new ReceiveCounter();
    let complete = length === 0n;
    try {
      if (complete) return;
      for await (const piece of pieces) {
        yield piece;
        if (counter.take(piece.length)) channel.send({ payload: { case: "downloadProgress", value: { requestId, bytesWritten: BigInt(counter.total) } } });
        if (length !== undefined && BigInt(counter.total) >= length) break;
      }
      complete = true;
    } finally {
      this.downloads.delete(requestId);
      if (!complete) channel.send({ payload: { case: "downloadProgress", value: { requestId, done: true, error: "the receiver went away" } } });
    }
  }

  private ask(requestId: string, channel: TransferChannel, request: Omit<StorageRequestInit, "requestId">, timeoutMs: number): Promise<StorageReply> {
    return new Promise<StorageReply>((resolve, reject) => {
      const timer = setTimeout(() => this.settleReply(requestId)?.reject(new UnavailableError("the agent did not answer in time")), timeoutMs);
      this.replies.set(requestId, { channel, resolve, reject, timer });
      channel.send({ payload: { case: "storage", value: { ...request, requestId } } });
    });
  }

  private failUpload(requestId: string, upload: Upload, error: Error): void {
    this.uploads.delete(requestId);
    upload.window.fail(error);
    upload.done?.reject(error);
  }

  private settleReply(requestId: string): PendingReply | undefined {
    const pending = this.replies.get(requestId);
    if (!pending) return undefined;
    this.replies.delete(requestId);
    clearTimeout(pending.timer);
    return pending;
  }
}

/**
 * Sends the data of `first` and of every piece left in `rest` through
 * `stream`, then finishes it. Any failure on the way cancels the upload.
 */
export async function sendPieces<T>(stream: UploadStream, first: T, rest: AsyncIterator<T>, dataOf: (piece: T) => Uint8Array): Promise<UploadResult> {
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
