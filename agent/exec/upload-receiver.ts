import { once } from "node:events";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { UploadData, UploadProgressSchema } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import type { ClusterDriver, UploadSink } from "../drivers/cluster-driver.js";

type Progress = MessageInitShape<typeof UploadProgressSchema>;

/** Acknowledge written bytes at least this often, so the sender's window keeps moving. */
const progressEveryBytes = 1024 * 1024;

interface ActiveUpload {
  sink: UploadSink;
  written: number;
  reported: number;
  /** Pieces are written strictly in order, one after another. */
  chain: Promise<void>;
  over: boolean;
}

/**
 * Receives upload pieces from the control plane and writes them, in order
 * and with backpressure, into the driver's sink for the pod; reports
 * progress (which frees the sender's window) and the outcome.
 */
export class UploadReceiver {
  private readonly uploads = new Map<string, ActiveUpload>();

  constructor(
    private readonly driver: () => ClusterDriver | undefined,
    private readonly send: (progress: Progress) => void,
  ) {}

  take(piece: UploadData): void {
    let upload = this.uploads.get(piece.requestId);
    if (!upload) {
      const driver = this.driver();
      if (!piece.podId || !driver) {
        this.send({ requestId: piece.requestId, done: true, error: driver ? "unknown upload" : "the agent is starting" });
        return;
      }
      const sink = driver.upload({ tenantId: piece.tenantId, podId: piece.podId }, piece.uid, piece.destPath);
      const started: ActiveUpload = { sink, written: 0, reported: 0, chain: Promise.resolve(), over: false };
      upload = started;
      this.uploads.set(piece.requestId, started);
      // A sink that fails early (the pod is gone) ends the upload before its last piece.
      void sink.done.then((outcome) => {
        if (!started.over && outcome.error) this.finish(piece.requestId, started, outcome.error);
      });
    }
    const active = upload;
    active.chain = active.chain.then(() => this.write(piece, active)).catch((error: unknown) => this.finish(piece.requestId, active, String(error)));
  }

  private async write(piece: UploadData, upload: ActiveUpload): Promise<void> {
    if (upload.over) return;
    const input = upload.sink.input;
    if (piece.cancel) {
      upload.over = true;
      this.uploads.delete(piece.requestId);
      input.destroy();
      return;
    }
    if (piece.data.length > 0) {
      if (!input.write(piece.data)) await once(input, "drain");
      upload.written += piece.data.length;
      if (upload.written - upload.reported >= progressEveryBytes) {
        upload.reported = upload.written;
        this.send({ requestId: piece.requestId, bytesWritten: BigInt(upload.written) });
      }
    }
    if (piece.last) {
      input.end();
      const outcome = await upload.sink.done;
      const failure = outcome.error ?? (outcome.exitCode !== 0 ? `writing the file exited with code ${outcome.exitCode}: ${outcome.output.trim()}` : undefined);
      this.finish(piece.requestId, upload, failure);
    }
  }

  private finish(requestId: string, upload: ActiveUpload, error?: string): void {
    if (upload.over) return;
    upload.over = true;
    this.uploads.delete(requestId);
    if (error) upload.sink.input.destroy();
    this.send({ requestId, bytesWritten: BigInt(upload.written), done: true, ...(error ? { error } : {}) });
  }
}
