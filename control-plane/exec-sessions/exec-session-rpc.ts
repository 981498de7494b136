import type { ServiceImpl } from "@connectrpc/connect";
import { ExecSessionService } from "../../gen/tapis/pods/v1/exec_session_service_pb.js";
import { metadataNames } from "../../shared/rpc/metadata.js";
import { callerOf } from "../auth/caller-of.js";
import type { PodExecSessions } from "./pod-exec-sessions.js";

/** ExecSessionService over gRPC/Connect. */
export function execSessionRpc(sessions: PodExecSessions): ServiceImpl<typeof ExecSessionService> {
  return {
    execSession(requests, ctx) {
      return sessions.run(callerOf(ctx), requests, { clientRequestId: ctx.requestHeader.get(metadataNames.requestId) ?? "", gone: ctx.signal });
    },
  };
}
