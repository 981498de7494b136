import type { ServiceImpl } from "@connectrpc/connect";
import { ReplicaService } from "../../gen/tapis/pods/v1/replica_service_pb.js";
import { InvalidArgumentError, StorageFailedError } from "../errors/domain-errors.js";
import { sendPieces, type AgentSessions } from "./agent-sessions.js";
import { problemOf } from "./storage-problems.js";

/** ReplicaService: runs what another replica forwards on an agent connected here. */
export function replicaRpc(sessions: AgentSessions): ServiceImpl<typeof ReplicaService> {
  return {
    async forwardExec(req) {
      if (!req.exec) throw new InvalidArgumentError("exec", "is required");
      const { tenantId, podId, uid, commands, commandTimeoutSeconds, totalTimeoutSeconds, stopOnFailure, clientRequestId } = req.exec;
      const reply = await sessions.exec(
        req.clusterId,
        { tenantId, podId, uid, commands: commands.map((c) => ({ argv: c.argv })), commandTimeoutSeconds, totalTimeoutSeconds, stopOnFailure, clientRequestId },
        req.timeoutMs,
      );
      return { reply };
    },
    async forwardUpload(requests) {
      const iterator = requests[Symbol.asyncIterator]();
      const first = await iterator.next();
      if (first.done) throw new InvalidArgumentError("cluster_id", "the first message must name the upload");
      const { clusterId, tenantId, podId, uid, destPath, clientRequestId, storage, limitBytes } = first.value;
      const stream = sessions.upload(clusterId, { tenantId, podId, uid, destPath, clientRequestId, ...(storage ? { storage, limitBytes } : {}) });
      try {
        const result = await sendPieces(stream, first.value, iterator, (piece) => piece.data);
        return { bytes: BigInt(result.bytes), objectBytes: BigInt(result.objectBytes) };
      } catch (error) {
        // The kind of a storage failure must reach the replica that asked, so it can answer its client precisely.
        if (error instanceof StorageFailedError) return { error: error.detail, problem: problemOf(error.problem) };
        throw error;
      }
    },
    async *forwardStorage(req) {
      if (!req.request) throw new InvalidArgumentError("request", "is required");
      const order = { clientRequestId: req.request.clientRequestId, operation: req.request.operation };
      // Reads are followed by the file's bytes.
      if (order.operation.case !== "read" && order.operation.case !== "readPodFile") {
        yield { reply: await sessions.storage(req.clusterId, order, req.timeoutMs) };
        return;
      }
      let download;
      try {
        download = await sessions.download(req.clusterId, order, req.timeoutMs);
      } catch (error) {
        if (error instanceof StorageFailedError) {
          yield { reply: { error: error.detail, problem: problemOf(error.problem), bytes: BigInt(error.fileSize ?? 0) } };
          return;
        }
        throw error;
      }
      yield { reply: download.reply };
      for await (const data of download.pieces) yield { data };
    },
  };
}
