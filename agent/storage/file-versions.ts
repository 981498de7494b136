import { createHash } from "node:crypto";
import type { BigIntStats } from "node:fs";
import type { FileRange } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { invalidPath, rangeNotSatisfiable } from "./storage-error.js";

/**
 * The strong entity tag of the version of a file that `stats` (of its open
 * handle) describe. It changes with the inode (uploads replace a file by
 * renaming a new one over it), the size, and the modification and change
 * times in nanoseconds: a pod writing in place moves the change time even
 * when it sets the modification time back. Hashed, so it is opaque and tells
 * nothing of the storage; quoted, as HTTP's ETag carries it.
 */
export function entityTagOf(stats: BigIntStats): string {
  const version = [stats.dev, stats.ino, stats.size, stats.mtimeNs, stats.ctimeNs].join(":");
  return `"${createHash("sha256").update(version).digest("base64url").slice(0, 27)}"`;
}

/** Whether a file whose tag is `etag` matches an If-None-Match list (tags without "W/", or "*"). */
export function matchesAny(tags: readonly string[], etag: string): boolean {
  return tags.includes("*") || tags.includes(etag);
}

/** Bytes `first` to `last` of a file, both included. */
export interface ByteSpan {
  first: number;
  last: number;
}

/**
 * The bytes of a file of `size` bytes, tagged `etag`, that `range` selects;
 * null for all of it: no range, a range meant for another version of the
 * file (If-Range), or a suffix of an empty file. Throws a
 * RANGE_NOT_SATISFIABLE StorageError when no byte satisfies it (RFC 9110
 * §14.1.1: it starts at or past the end, or asks for the last 0 bytes).
 */
export function selectedBytes(range: FileRange | undefined, etag: string, size: number): ByteSpan | null {
  if (!range || range.start.case === undefined) return null;
  if (range.ifEtag && range.ifEtag !== etag) return null;
  const unsatisfiable = () => rangeNotSatisfiable(`range: no byte of the file satisfies it; the file holds ${size} bytes`, size);
  if (range.start.case === "suffixLength") {
    const suffix = range.start.value;
    if (suffix <= 0n) throw unsatisfiable();
    if (size === 0) return null;
    return { first: Math.max(0, size - Number(suffix)), last: size - 1 };
  }
  const offset = range.start.value;
  if (offset < 0n) throw invalidPath("range: the offset must not be negative");
  if (range.length !== undefined && range.length <= 0n) throw invalidPath("range: the length must be positive");
  if (offset >= BigInt(size)) throw unsatisfiable();
  const first = Number(offset);
  const end = range.length === undefined ? BigInt(size) : offset + range.length;
  return { first, last: Number(end > BigInt(size) ? BigInt(size) : end) - 1 };
}
