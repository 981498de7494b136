import type { AgentLink } from "../agents/agent-router.js";
import type { UploadStream } from "../agents/agent-sessions.js";
import type { Caller } from "../auth/caller.js";
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from "../errors/domain-errors.js";
import type { Database } from "../storage/database.js";
import { podRepository } from "../storage/pod-repository.js";

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

  async upload(caller: Caller, pieces: AsyncIterable<UploadPiece>): Promise<{ destPath: string; bytes: number }> {
    const iterator = pieces[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done) throw new InvalidArgumentError("pod_id", "an upload must name its pod in its first message");
    const { podId, destPath } = first.value;
    if (!destPath.startsWith("/") || destPath.includes("\0") || destPath.length > 4096) {
      throw new InvalidArgumentError("dest_path", "must be an absolute path inside the container");
    }
    const pod = await this.db.read((m) => podRepository.find(m, caller.tenantId, podId));
    if (!pod) throw new NotFoundError("pod", podId);
    if (pod.status !== "AVAILABLE") throw new FailedPreconditionError(`pod '${podId}' is ${pod.status}; files can be uploaded only to an AVAILABLE pod`);
    const stream = await this.agents.upload(pod.clusterId, { tenantId: pod.tenantId, podId, uid: pod.uid, destPath });
    try {
      await send(stream, first.value.file);
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) await send(stream, next.value.file);
    } catch (error) {
      stream.cancel();
      throw error;
    }
    return { destPath, bytes: await stream.finish() };
  }
}

async function send(stream: UploadStream, data: Uint8Array): Promise<void> {
  if (data.length > 0) await stream.write(data);
}
