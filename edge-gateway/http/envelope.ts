import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { JsonValue } from "@bufbuild/protobuf";
import type { HttpAnswer } from "../../gen/tapis/pods/v1/call_options_pb.js";
import { serviceVersion } from "../../shared/version.js";

/**
 * The Tapis envelope every REST answer uses. The Content-Type is exactly
 * "application/json": Tapis SDKs compare it literally and treat anything else
 * (even with a charset) as raw bytes.
 */
export function sendEnvelope(res: ServerResponse, httpStatus: number, message: string, result: JsonValue, ok: boolean): void {
  sendJson(res, httpStatus, { message, metadata: {}, result, status: ok ? "success" : "error", version: serviceVersion });
}

export function sendError(res: ServerResponse, httpStatus: number, message: string, headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  sendEnvelope(res, httpStatus, message, null, false);
}

export function sendJson(res: ServerResponse, httpStatus: number, body: JsonValue): void {
  const text = JSON.stringify(body);
  res.writeHead(httpStatus, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * A bare JSON body with a strong ETag of its bytes; a request whose
 * If-None-Match names it gets 304 and no body.
 */
export function sendBareJson(req: IncomingMessage, res: ServerResponse, body: JsonValue): void {
  const text = JSON.stringify(body);
  const etag = `"${createHash("sha256").update(text).digest("base64url")}"`;
  const known = (req.headers["if-none-match"] ?? "").split(",").map((tag) => tag.trim().replace(/^W\//, ""));
  if (known.includes(etag) || known.includes("*")) {
    res.writeHead(304, { ETag: etag });
    res.end();
    return;
  }
  res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ETag: etag });
  res.end(text);
}

/** An answer the service composed itself (a redirect, a login page, a forward-auth verdict), sent as it is. */
export function sendHttpAnswer(res: ServerResponse, answer: HttpAnswer): void {
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  if (answer.setCookies.length > 0) res.setHeader("Set-Cookie", answer.setCookies);
  if (answer.contentType) res.setHeader("Content-Type", answer.contentType);
  res.setHeader("Content-Length", answer.body.length);
  res.writeHead(answer.status || 200);
  res.end(answer.body);
}
