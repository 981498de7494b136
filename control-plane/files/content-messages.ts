import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GetVolumeContentsResponseSchema } from "../../gen/tapis/pods/v1/volumes_service_pb.js";
import type { Download } from "../agents/agent-sessions.js";

/** A message of a contents download; volumes and snapshots answer the same fields. */
type ContentMessage = Omit<MessageInitShape<typeof GetVolumeContentsResponseSchema>, "$typeName">;

/** The messages of a contents download: first what the file is (its version, which part of it follows), then its bytes as they arrive. */
export async function* contentMessages(download: Download): AsyncGenerator<ContentMessage> {
  const { contentType, filename, contentLength, etag, contentRange, notModified } = download.reply;
  yield { data: new Uint8Array(0), contentType, filename, etag, notModified, ...(contentLength !== undefined ? { contentLength } : {}), ...(contentRange ? { contentRange } : {}) };
  for await (const data of download.pieces) yield { data };
}
