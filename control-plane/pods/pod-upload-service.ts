import type { AgentLink } from "../agents/agent-router.js";
import { sendPieces } from "../agents/agent-sessions.js";
import type { Caller } from "../auth/caller.js";
import { InvalidArgumentError } from "../errors/domain-errors.js";
import type { Database } from "../storage/database.js";
import { findAvailablePod } from "./available-pod.js";

/** One message of an upload: the first names the pod and destination, each may carry bytes. */
export interface UploadPiece {
  podId: string;
  destPath: string;
  file: Uint8Array;
}

/**
 * Streams a file into a running pod's container through the agent of its
 * cluster, piece by piece: nothing holds the whole file, and a slow agent
 * slows the sender down instead of filling memory.
 */
export class PodUploadService {
  constructor(
    private readonly db: Database,
    private readonly agents: AgentLink,
  ) {}

  async upload(caller: Caller, pieces: AsyncIterable<UploadPiece>, clientRequestId = ""): Promise<{ destPath: string; bytes: number }> {
    const iterator = pieces[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done) throw new InvalidArgumentError("pod_id", "an upload must name its pod in its first message");
    const { podId, destPath } = first.value;
    if (!destPath.startsWith("/") || destPath.includes("\0") || destPath.length > 4096) {
      throw new InvalidArgumentError("dest_path", "must be an absolute path inside the container");
    }
    const pod = await findAvailablePod(this.db, caller.tenantId, podId, "files can be uploaded only to an AVAILABLE pod");
    const stream = await this.agents.upload(pod.clusterId, { tenantId: pod.tenantId, podId, uid: pod.uid, destPath, clientRequestId });
    const { bytes } = await sendPieces(stream, first.value, iterator, (piece) => piece.file);
    return { destPath, bytes };
  }
}
