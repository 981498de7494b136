import type { IncomingMessage } from "node:http";
import { tooDeepAt } from "./json-nesting.js";

/** The request body was not acceptable; `status` is the HTTP status to answer. */
export class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "BodyError";
  }
}

/** How large and how deep a JSON body may be. */
export interface JsonBodyLimits {
  maxBytes: number;
  /** Objects and lists within one another. */
  maxDepth: number;
}

/**
 * Reads and parses a JSON body within `limits`. An empty body is
 * `undefined`. The Content-Type is not checked: curl's -d sends a form type by
 * default, and the body is JSON either way.
 */
export async function readJsonBody(req: IncomingMessage, limits: JsonBodyLimits): Promise<unknown> {
  const limitBytes = limits.maxBytes;
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limitBytes) throw new BodyError(413, `request body exceeds ${limitBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new BodyError(413, `request body exceeds ${limitBytes} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text === "") return undefined;
  const tooDeep = tooDeepAt(text, limits.maxDepth);
  if (tooDeep) throw new BodyError(400, `${tooDeep}: nested deeper than ${limits.maxDepth} levels`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BodyError(400, `request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}
