import type { ServiceImpl } from "@connectrpc/connect";
import { ReplicaService } from "../../gen/tapis/pods/v1/replica_service_pb.js";
import { InvalidArgumentError } from "../errors/domain-errors.js";
import { sendPieces, type AgentSessions } from "./agent-sessions.js";

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
      const { clusterId, tenantId, podId, uid, destPath, clientRequestId } = first.value;
      const stream = sessions.upload(clusterId, { tenantId, podId, uid, destPath, clientRequestId });
      return { bytes: BigInt(await sendPieces(stream, first.value, iterator, (piece) => piece.data)) };
    },
  };
}
