import { constants, type Stats } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { Readable } from "node:stream";
import { ZipFile } from "yazl";
import { zipEntryProblem } from "../../shared/storage/storage-paths.js";
import { partialPrefix, partsOf, notFoundAt, type ClusterStorage, type ObjectRef } from "./cluster-storage.js";
import { entryOf, entryStats, explainOpenFailure, linkRefused, namesIn, openChildFolder, walkFolders } from "./confined-folder.js";
import type { FileRange } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { entityTagOf, matchesAny, selectedBytes, type ByteSpan } from "./file-versions.js";
import { invalidPath, isFolder, tooLarge } from "./storage-error.js";

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = constants;
const readChunkBytes = 1024 * 1024;
/** The most entries one zip holds. */
const maxZipEntries = 100_000;

/** A file (or zip) being read, with what the client is told about it. */
export interface Download {
  stream: Readable;
  contentType: string;
  filename: string;
  /** The bytes the stream holds: known for a file, not for a zip built while it is sent. */
  contentLength?: number;
  /** Settles once the source is known to have given all of it; a rejection fails the download instead of ending it. */
  complete?: Promise<void>;
  /** A file's strong entity tag; none for a zip. */
  etag?: string;
  /** The part of the file the stream holds, when a range was applied. */
  contentRange?: ByteSpan & { size: number };
  /** The file matched If-None-Match: the stream is empty. */
  notModified?: boolean;
}

/** What a read of a file may ask beyond the file: only part of it, or nothing while it is a version the client has. */
export interface ReadConditions {
  range?: FileRange;
  /** If-None-Match tags (without "W/"), or "*". */
  ifNoneMatch: readonly string[];
}

/**
 * Opens the file at `path` of the object for reading; never a link, a
 * folder or a device. Its entity tag, its size and the bytes sent are all of
 * the one version the open handle holds, so a range resumed against an
 * older tag is never joined to a newer file: the whole file is sent instead.
 * The bytes of a range are read from its first byte on, none before it.
 */
export async function readFile(storage: ClusterStorage, ref: ObjectRef, path: string, conditions: ReadConditions = { ifNoneMatch: [] }): Promise<Download> {
  const parts = partsOf(path);
  if (parts.length === 0) throw isFolder("'' is a folder");
  const object = await storage.openObject(ref);
  let handle: FileHandle;
  try {
    handle = (await openRegularFile(object, parts)).handle;
  } finally {
    await object.close();
  }
  try {
    const stats = await handle.stat({ bigint: true });
    const size = Number(stats.size);
    const etag = entityTagOf(stats);
    const described = { contentType: "application/octet-stream", filename: parts.at(-1)!, etag };
    if (matchesAny(conditions.ifNoneMatch, etag)) {
      await handle.close();
      return { ...described, stream: Readable.from([]), contentLength: 0, notModified: true };
    }
    const span = selectedBytes(conditions.range, etag, size);
    const { first, last } = span ?? { first: 0, last: size - 1 };
    const stream = last < first ? emptyAndClose(handle) : handle.createReadStream({ start: first, end: last, highWaterMark: readChunkBytes });
    return { ...described, stream, contentLength: last - first + 1, ...(span ? { contentRange: { ...span, size } } : {}) };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** No bytes (an empty file); the handle is closed. */
function emptyAndClose(handle: FileHandle): Readable {
  void handle.close().catch(() => undefined);
  return Readable.from([]);
}

interface ZipEntry {
  /** The entry's name in the zip: the target's name first. */
  name: string;
  /** Where it is, from the object's folder. */
  parts: string[];
  stats: Stats;
}

/**
 * A zip of the file or folder at `path`, built while it is read: its
 * entries are collected first (so an unsafe name is refused before a byte
 * is sent), then each file is opened only when its turn comes. Links are
 * left out, never followed; a file that vanished or became a link since is
 * sent empty.
 */
export async function readZip(storage: ClusterStorage, ref: ObjectRef, path: string): Promise<Download> {
  const parts = partsOf(path);
  if (parts.length === 0) throw invalidPath(`the whole ${ref.kind === "volumes" ? "volume" : "snapshot"} cannot be zipped; name a folder or file in it`);
  const object = await storage.openObject(ref);
  let entries: ZipEntry[];
  try {
    entries = await zipEntries(object, parts);
  } catch (error) {
    await object.close();
    throw error;
  }
  const zip = new ZipFile();
  for (const entry of entries) {
    if (entry.stats.isDirectory()) {
      zip.addEmptyDirectory(entry.name, { mtime: entry.stats.mtime, mode: entry.stats.mode });
      continue;
    }
    zip.addReadStreamLazy(entry.name, { mtime: entry.stats.mtime, mode: entry.stats.mode }, (done) => {
      openRegularFile(object, entry.parts).then(
        ({ handle }) => done(null, handle.createReadStream({ highWaterMark: readChunkBytes })),
        () => done(null, Readable.from([])),
      );
    });
  }
  zip.end();
  const output = zip.outputStream as Readable;
  const release = () => void object.close().catch(() => undefined);
  output.once("close", release);
  output.once("end", release);
  zip.once("error", (error: Error) => output.destroy(error));
  return { stream: output, contentType: "application/zip", filename: `${parts.at(-1)}.zip` };
}

async function zipEntries(object: FileHandle, parts: string[]): Promise<ZipEntry[]> {
  const parent = await walkFolders(object, parts.slice(0, -1));
  try {
    const name = parts.at(-1)!;
    const stats = await entryStats(parent, name);
    if (!stats) throw notFoundAt(parts);
    if (stats.isSymbolicLink()) throw linkRefused(parts.join("/"));
    checkEntryName(name, name);
    if (!stats.isDirectory()) return [{ name, parts, stats }];
    const entries: ZipEntry[] = [{ name: `${name}/`, parts, stats }];
    const folder = await openChildFolder(parent, name, parts.join("/"));
    try {
      await collect(folder, parts, name, entries);
    } finally {
      await folder.close();
    }
    return entries;
  } finally {
    await parent.close();
  }
}

async function collect(folder: FileHandle, parts: string[], prefix: string, out: ZipEntry[]): Promise<void> {
  for (const name of await namesIn(folder)) {
    if (name.startsWith(partialPrefix)) continue;
    const stats = await entryStats(folder, name);
    if (!stats || !(stats.isFile() || stats.isDirectory())) continue;
    const zipName = `${prefix}/${name}`;
    checkEntryName(name, zipName);
    if (out.length >= maxZipEntries) throw tooLarge(`'${parts.join("/")}' holds more than ${maxZipEntries} entries; zip a smaller folder`);
    if (stats.isFile()) {
      out.push({ name: zipName, parts: [...parts, name], stats });
      continue;
    }
    out.push({ name: `${zipName}/`, parts: [...parts, name], stats });
    const child = await openChildFolder(folder, name, zipName).catch(() => null);
    if (!child) continue;
    try {
      await collect(child, [...parts, name], zipName, out);
    } finally {
      await child.close();
    }
  }
}

function checkEntryName(name: string, zipName: string): void {
  const problem = zipEntryProblem(name);
  if (problem) throw invalidPath(`entry '${zipName}' ${problem}`);
}

/** Opens a regular file below `object`, every name without following links; the caller owns the handle. */
export async function openRegularFile(object: FileHandle, parts: string[]): Promise<{ handle: FileHandle; stats: Stats }> {
  const parent = await walkFolders(object, parts.slice(0, -1));
  let handle: FileHandle;
  try {
    // O_NONBLOCK: a FIFO a pod made must not hang the open.
    handle = await open(entryOf(parent, parts.at(-1)!), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    throw await explainOpenFailure(error, parent, parts.at(-1)!, parts.join("/"));
  } finally {
    await parent.close();
  }
  const stats = await handle.stat();
  if (stats.isFile()) return { handle, stats };
  await handle.close();
  if (stats.isDirectory()) throw isFolder(`'${parts.join("/")}' is a folder`);
  throw invalidPath(`'${parts.join("/")}' is not a regular file`);
}
