import type http from "node:http";
import type { Message } from "@bufbuild/protobuf";
import { Code, type ConnectError } from "@connectrpc/connect";
import { RangeNotSatisfiableSchema } from "../../gen/tapis/pods/v1/common_pb.js";

/** What the messages of a download carry (GetVolumeContentsResponse and its kin). */
interface DownloadMessage {
  data?: Uint8Array;
  contentType?: string;
  filename?: string;
  contentLength?: bigint;
  etag?: string;
  contentRange?: { first: bigint; last: bigint; size: bigint };
  notModified?: boolean;
}

/** Request headers that HEAD ignores: RFC 9110 defines range requests for GET only. */
export const getOnlyHeaders = ["range", "if-range"];

/**
 * Streams a download as HTTP serves a file: the first message says what
 * follows — 200 with the whole file, 206 with the part of it a range asked
 * for (Content-Range), or 304 when the client holds this version (no body)
 * — and `data` carries the bytes. A file sends its ETag and
 * `Accept-Ranges: bytes`; a zip, built while it is sent, `Accept-Ranges:
 * none`. For HEAD the headers go out alone. Resolves with the bytes sent.
 */
export async function streamDownload(req: http.IncomingMessage, res: http.ServerResponse, messages: AsyncIterable<Message>): Promise<number> {
  let sent = 0;
  for await (const message of messages) {
    const chunk = message as unknown as DownloadMessage;
    if (!res.headersSent) {
      writeHead(res, chunk);
      if (req.method === "HEAD" || chunk.notModified) break;
    }
    if (chunk.data?.length) {
      sent += chunk.data.length;
      if (!res.write(chunk.data)) await new Promise((resolve) => res.once("drain", resolve));
    }
  }
  if (!res.headersSent) res.writeHead(200, { "Content-Type": "application/octet-stream" });
  res.end();
  return sent;
}

function writeHead(res: http.ServerResponse, first: DownloadMessage): void {
  if (first.etag) res.setHeader("ETag", first.etag);
  if (first.notModified) return void res.writeHead(304);
  res.setHeader("Content-Type", first.contentType || "application/octet-stream");
  if (first.contentLength !== undefined) res.setHeader("Content-Length", String(first.contentLength));
  if (first.filename) res.setHeader("Content-Disposition", `attachment; filename="${first.filename.replace(/"/g, "")}"`);
  res.setHeader("Accept-Ranges", first.etag ? "bytes" : "none");
  const range = first.contentRange;
  if (!range) return void res.writeHead(200);
  res.setHeader("Content-Range", `bytes ${range.first}-${range.last}/${range.size}`);
  res.writeHead(206);
}

/** For a download whose range no byte of the file satisfies (HTTP 416): the file's size. */
export function unsatisfiedRangeSize(error: ConnectError): bigint | undefined {
  if (error.code !== Code.OutOfRange) return undefined;
  return error.findDetails(RangeNotSatisfiableSchema)[0]?.size;
}
