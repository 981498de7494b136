import { createWriteStream } from "node:fs";
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import type { Writable } from "node:stream";
import { CliError, describeCause } from "../cli-error.js";
import { ExitCode } from "../exit-codes.js";
import type { CallOptions, PodsClient } from "../http/pods-client.js";
import { formatBytes } from "./byte-sizes.js";
import type { ProgressOptions, TransferProgress } from "./transfer-progress.js";

export interface Download {
  client: PodsClient;
  /** What is downloaded, for messages: "vol1/data/file.bin". */
  name: string;
  path: string;
  query?: CallOptions["query"];
  /** The local file to write, or "-" for standard output. */
  destination: string;
  /** Makes the progress report once the size is known. */
  progress(options: Pick<ProgressOptions, "totalBytes" | "startBytes">): TransferProgress;
  /** Told when a partial file cannot be resumed and the download starts over. */
  note(text: string): void;
  /** The command that resumes, for the message of a failed download. */
  retryHint: string;
}

/** What a partial download remembers: which URL it came from, and which version of it. */
interface PartRecord {
  source: string;
  /** The ETag, else the Last-Modified, of the response that began it. */
  validator?: string;
}

export interface Downloaded {
  bytes: number;
  resumedFrom: number;
}

/**
 * Downloads to `<destination>.part` and renames it when complete. A download
 * that breaks keeps its part (and a `.part.json` naming its source), and the
 * next run for the same destination asks for the rest with a Range request
 * (If-Range with the version it began with); a service that answers with the
 * whole file instead, or a different version, makes it start over.
 */
export async function download(request: Download): Promise<Downloaded> {
  if (request.destination === "-") return downloadToStdout(request);
  const partPath = `${request.destination}.part`;
  const recordPath = `${partPath}.json`;
  const source = request.client.url(request.path, request.query);
  const record = await readRecord(recordPath);
  let offset = record?.source === source ? await sizeOf(partPath) : 0;
  if (offset === 0) await rm(partPath, { force: true });

  const headers: Record<string, string> = {};
  if (offset > 0) {
    headers.Range = `bytes=${offset}-`;
    if (record?.validator) headers["If-Range"] = record.validator;
  }
  let response = await request.client.send("GET", request.path, { headers }, request.query, [416]);
  if (response.status === 416) {
    const complete = contentRangeTotal(response.headers.get("content-range")) === offset;
    await response.body?.cancel();
    if (complete) return finishPart(partPath, recordPath, request.destination, offset, offset);
    request.note(`the ${formatBytes(offset)} kept in ${partPath} do not fit the file on the service; starting over`);
    offset = 0;
    response = await request.client.send("GET", request.path, {}, request.query);
  }
  if (offset > 0 && (response.status !== 206 || contentRangeStart(response.headers.get("content-range")) !== offset)) {
    request.note(
      response.status === 206 ? "the service resumed at another byte; starting over" : `the service sent the whole file instead of the rest (no resumable downloads, or the file changed); starting over`,
    );
    if (response.status === 206) {
      await response.body?.cancel();
      response = await request.client.send("GET", request.path, {}, request.query);
    }
    offset = 0;
  }
  const validator = response.headers.get("etag") ?? response.headers.get("last-modified") ?? undefined;
  // Reading starts before the record is written: a body that is not being read when its connection
  // breaks loses what was buffered (Node 22's fetch drops it), which would leave nothing to resume.
  const recorded = writeFile(recordPath, JSON.stringify({ source, validator } satisfies PartRecord), { mode: 0o600 });
  recorded.catch(() => {});
  const remaining = Number(response.headers.get("content-length") ?? NaN);
  const progress = request.progress({ totalBytes: Number.isFinite(remaining) ? offset + remaining : undefined, startBytes: offset });
  const file = createWriteStream(partPath, { flags: offset > 0 ? "a" : "w", mode: 0o600 });
  let written = offset;
  try {
    await copyBody(response, file, (bytes) => {
      written += bytes;
      progress.advance(bytes);
    });
    if (Number.isFinite(remaining) && written !== offset + remaining) throw new Error(`the connection closed after ${formatBytes(written)} of ${formatBytes(offset + remaining)}`);
  } catch (error) {
    await recorded.catch(() => {});
    progress.abandon();
    throw new CliError(
      `download of ${request.name} stopped after ${formatBytes(written)}: ${describeCause(error)}.\n` +
        `The ${formatBytes(written)} received are kept in ${partPath}: ${request.retryHint} to resume ` +
        "(from there when the service supports Range requests, otherwise from the start).",
      ExitCode.unavailable,
    );
  }
  progress.finish();
  await recorded;
  return finishPart(partPath, recordPath, request.destination, written, offset);
}

async function downloadToStdout(request: Download): Promise<Downloaded> {
  const response = await request.client.send("GET", request.path, {}, request.query);
  const remaining = Number(response.headers.get("content-length") ?? NaN);
  const progress = request.progress({ totalBytes: Number.isFinite(remaining) ? remaining : undefined });
  try {
    let bytes = 0;
    await copyBody(response, process.stdout, (more) => {
      bytes += more;
      progress.advance(more);
    });
    progress.finish();
    return { bytes, resumedFrom: 0 };
  } catch (error) {
    progress.abandon();
    throw new CliError(`download of ${request.name} to standard output failed: ${describeCause(error)}.\n${request.retryHint} to download it again.`, ExitCode.unavailable);
  }
}

/** Copies the response body into `out` with backpressure, telling `copied` of every chunk written. */
async function copyBody(response: Response, out: Writable, copied: (bytes: number) => void): Promise<void> {
  const failed = new Promise<never>((_, reject) => out.once("error", reject));
  failed.catch(() => {});
  try {
    if (response.body) {
      for await (const chunk of response.body) {
        if (!out.write(chunk)) await Promise.race([new Promise<void>((resolve) => out.once("drain", () => resolve())), failed]);
        copied(chunk.length);
      }
    }
  } finally {
    if (out !== process.stdout) await Promise.race([new Promise<void>((resolve) => out.end(() => resolve())), failed]);
  }
}

async function finishPart(partPath: string, recordPath: string, destination: string, bytes: number, resumedFrom: number): Promise<Downloaded> {
  await rename(partPath, destination);
  await rm(recordPath, { force: true });
  return { bytes, resumedFrom };
}

async function readRecord(path: string): Promise<PartRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(path, "utf8")) as PartRecord;
    return typeof record.source === "string" ? record : undefined;
  } catch {
    return undefined;
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** The first byte of `bytes <start>-<end>/<total>`. */
function contentRangeStart(header: string | null): number | undefined {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header?.trim() ?? "");
  return match ? Number(match[1]) : undefined;
}

/** The total of `bytes \*\/<total>`, the answer to a range past the end. */
function contentRangeTotal(header: string | null): number | undefined {
  const match = /^bytes \*\/(\d+)$/.exec(header?.trim() ?? "");
  return match ? Number(match[1]) : undefined;
}
