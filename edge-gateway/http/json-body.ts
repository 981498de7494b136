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

/** How large and how deep a JSON body may be, and how long it may take to arrive. */
export interface JsonBodyLimits {
  maxBytes: number;
  /** Objects and lists within one another. */
  maxDepth: number;
}

/**
 * Reads and parses a JSON body within `limits`, which must arrive within
 * `deadlineMs`. An empty body is `undefined`. The Content-Type is not
 * checked: curl's -d sends a form type by default, and the body is JSON
 * either way.
 */
export async function readJsonBody(req: IncomingMessage, limits: JsonBodyLimits, deadlineMs: number): Promise<unknown> {
  const text = (await readBody(req, limits.maxBytes, deadlineMs)).toString("utf8").trim();
  if (text === "") return undefined;
  const tooDeep = tooDeepAt(text, limits.maxDepth);
  if (tooDeep) throw new BodyError(400, `${tooDeep}: nested deeper than ${limits.maxDepth} levels`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BodyError(400, `request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Reads a form-encoded body (an HTML form's submission) within the JSON
 * limits: each field once, as text.
 */
export async function readFormBody(req: IncomingMessage, limits: JsonBodyLimits, deadlineMs: number): Promise<Record<string, string>> {
  const form = new URLSearchParams((await readBody(req, limits.maxBytes, deadlineMs)).toString("utf8"));
  const fields: Record<string, string> = {};
  for (const [name, value] of form) {
    if (name in fields) throw new BodyError(400, `${name}: given more than once`);
    fields[name] = value;
  }
  return fields;
}

function readBody(req: IncomingMessage, limitBytes: number, deadlineMs: number): Promise<Buffer> {
  const tooLarge = () => new BodyError(413, `request body exceeds ${limitBytes} bytes`);
  if (Number(req.headers["content-length"] ?? 0) > limitBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error: Error | null) => {
      clearTimeout(timer);
      req.off("data", take).off("end", end).off("error", finish).off("aborted", aborted);
      if (error) {
        req.pause();
        reject(error);
      } else resolve(Buffer.concat(chunks));
    };
    const take = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) finish(tooLarge());
      else chunks.push(chunk);
    };
    const end = () => finish(null);
    const aborted = () => finish(new ClientGoneError());
    const timer = setTimeout(() => finish(new BodyError(408, `request body did not arrive within ${Math.round(deadlineMs / 1000)} s`)), deadlineMs);
    req.on("data", take).once("end", end).once("error", finish).once("aborted", aborted);
  });
}

/** The client went away while sending; there is nobody to answer. */
export class ClientGoneError extends Error {
  constructor() {
    super("the client closed the connection");
    this.name = "ClientGoneError";
  }
}
