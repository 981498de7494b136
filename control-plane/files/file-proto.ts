import type { HandlerContext } from "@connectrpc/connect";
import type { FileInfo } from "../../gen/tapis/pods/v1/common_pb.js";
import { metadataNames } from "../../shared/rpc/metadata.js";

/** Entries as the agent described them, in the FileModel shape clients read. */
export function filesToProto(files: FileInfo[]) {
  return files.map(({ path, name, type, size, lastModified, nativePermissions }) => ({ path, name, type, size, lastModified, nativePermissions }));
}

/** The request id the gateway (or a gRPC caller) gave this call, for the agent's logs. */
export function requestIdOf(ctx: HandlerContext): string {
  return ctx.requestHeader.get(metadataNames.requestId) ?? "";
}
