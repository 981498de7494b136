import { once } from "node:events";
import type { Writable } from "node:stream";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { StorageProblem, type UploadData, type UploadProgressSchema } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { ReceiveCounter } from "../../shared/transfer/send-window.js";
import type { ClusterDriver } from "../drivers/cluster-driver.js";
import type { ClusterStorage } from "../storage/cluster-storage.js";
import { storageFailure } from "../storage/storage-error.js";
import { refOf } from "../storage/storage-requests.js";
import { writeStorageFile } from "../storage/storage-write.js";

type Progress = MessageInitShape<typeof UploadProgressSchema>;

/** How an upload ended: an error (and its kind, for storage), or the bytes its storage object holds now. */
interface UploadOutcome {
  error?: string;
  problem?: StorageProblem;
  objectBytes?: number;
}

interface ActiveUpload {
  input: Writable;
  /** Settles once the destination has the whole file, or failed. */
  outcome: Promise<UploadOutcome>;
  received: ReceiveCounter;
  /** Pieces are written strictly in order, one after another. */
  chain: Promise<void>;
  over: boolean;
}

/**
 * Receives upload pieces from the control plane and writes them, in order
 * and with backpressure, into a pod's container (through the driver) or a
 * file of the cluster's storage; reports progress (which frees the sender's
 * window) and the outcome.
 */
export class UploadReceiver {
  private readonly uploads = new Map<string, ActiveUpload>();

  constructor(
    private readonly driver: () => ClusterDriver | undefined,
    private readonly storage: ClusterStorage,
    private readonly send: (progress: Progress) => void,
  ) {}

  take(piece: UploadData): void {
    let upload = this.uploads.get(piece.requestId);
    if (!upload) {
      const started = this.start(piece);
      if (!started) return;
      upload = started;
      this.uploads.set(piece.requestId, started);
      // A destination that fails early (the pod is gone, the path is refused) ends the upload before its last piece.
      void started.outcome.then((outcome) => {
        if (outcome.error) this.finish(piece.requestId, started, outcome);
      });
    }
    const active = upload;
    active.chain = active.chain
      .then(() => this.write(piece, active))
      .catch((error: unknown) => {
        const failure = storageFailure(error);
        this.finish(piece.requestId, active, { error: failure.message, problem: failure.problem });
      });
  }

  private start(piece: UploadData): ActiveUpload | null {
    const fresh = (input: Writable, outcome: Promise<UploadOutcome>): ActiveUpload => ({ input, outcome, received: new ReceiveCounter(), chain: Promise.resolve(), over: false });
    if (piece.storage) {
      const sink = writeStorageFile(this.storage, refOf(piece.storage), piece.storage.path, Number(piece.limitBytes));
      const outcome = sink.done.then(
        ({ objectBytes }): UploadOutcome => ({ objectBytes }),
        (error: unknown): UploadOutcome => {
          const failure = storageFailure(error);
          return { error: failure.message, problem: failure.problem };
        },
      );
      return fresh(sink.input, outcome);
    }
    const driver = this.driver();
    if (!piece.podId || !driver) {
      this.send({ requestId: piece.requestId, done: true, error: driver ? "unknown upload" : "the agent is starting" });
      return null;
    }
    const sink = driver.upload({ tenantId: piece.tenantId, podId: piece.podId }, piece.uid, piece.destPath);
    const outcome = sink.done.then((result): UploadOutcome => {
      const error = result.error ?? (result.exitCode !== 0 ? `writing the file exited with code ${result.exitCode}: ${result.output.trim()}` : undefined);
      return error ? { error } : {};
    });
    return fresh(sink.input, outcome);
  }

  private async write(piece: UploadData, upload: ActiveUpload): Promise<void> {
    if (upload.over) return;
    const input = upload.input;
    if (piece.cancel) {
      upload.over = true;
      this.uploads.delete(piece.requestId);
      input.destroy();
      return;
    }
    if (piece.data.length > 0) {
      if (!input.write(piece.data)) await once(input, "drain");
      if (upload.received.take(piece.data.length)) this.send({ requestId: piece.requestId, bytesWritten: BigInt(upload.received.total) });
    }
    if (piece.last) {
      input.end();
      this.finish(piece.requestId, upload, await upload.outcome);
    }
  }

  private finish(requestId: string, upload: ActiveUpload, outcome: UploadOutcome): void {
    if (upload.over) return;
    upload.over = true;
    this.uploads.delete(requestId);
    if (outcome.error) upload.input.destroy();
    this.send({
      requestId,
      bytesWritten: BigInt(upload.received.total),
      done: true,
      ...(outcome.error ? { error: outcome.error, problem: outcome.problem ?? StorageProblem.UNSPECIFIED } : {}),
      ...(outcome.objectBytes !== undefined ? { objectBytes: BigInt(outcome.objectBytes) } : {}),
    });
  }
}
