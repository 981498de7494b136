import type { MessageInitShape } from "@bufbuild/protobuf";
import type { FileRangeSchema } from "../../gen/tapis/pods/v1/agent_service_pb.js";

type FileRange = MessageInitShape<typeof FileRangeSchema>;

/** A download request's HTTP-style conditions, as clients send them (the Range, If-Range and If-None-Match headers). */
export interface RequestedConditions {
  range: string;
  ifRange: string;
  ifNoneMatch: string;
}

/** What the agent applies to the file it opens. */
export interface DownloadConditions {
  /** Only these bytes; unset: all of them. */
  range?: FileRange;
  /** Tags without "W/", or "*"; empty: no condition. */
  ifNoneMatch: string[];
}

/** int64 on the wire: a first byte past this is past the end of any file. */
const largestPosition = 2n ** 62n;
const strongTag = /^"[\x21\x23-\x7e\x80-\xff]*"$/;
const anyTag = /^(W\/)?("[\x21\x23-\x7e\x80-\xff]*")$/;

/**
 * Reads a download's conditions as RFC 9110 defines them. A range the
 * service does not serve (several ranges, another unit, a malformed one) is
 * ignored, as §14.2 allows: the whole file is sent. A range under an
 * If-Range that is not a strong entity tag (a weak one, or a date: the
 * service sends no Last-Modified) is ignored too, since such a validator
 * never matches. The agent compares tags with the file it opened.
 */
export function downloadConditions(requested: RequestedConditions): DownloadConditions {
  const ifNoneMatch = entityTags(requested.ifNoneMatch);
  const range = byteRange(requested.range);
  const ifRange = requested.ifRange.trim();
  if (!range || (ifRange !== "" && !strongTag.test(ifRange))) return { ifNoneMatch };
  return { range: ifRange ? { ...range, ifEtag: ifRange } : range, ifNoneMatch };
}

/** `bytes=N-`, `bytes=N-M` or `bytes=-K` (unit case-insensitive); null for anything else. */
export function byteRange(header: string): FileRange | null {
  const match = /^bytes=(\d*)-(\d*)$/i.exec(header.trim());
  if (!match) return null;
  const [, first, last] = match as unknown as [string, string, string];
  if (first === "") return last === "" ? null : { start: { case: "suffixLength", value: capped(last) } };
  const offset = capped(first);
  if (last === "") return { start: { case: "offset", value: offset } };
  const end = capped(last);
  if (end < offset) return null;
  return { start: { case: "offset", value: offset }, length: end - offset + 1n };
}

/** The tags of an If-None-Match list, weak ones by their opaque part (it is compared weakly); malformed members are left out. */
export function entityTags(header: string): string[] {
  const value = header.trim();
  if (value === "*") return ["*"];
  return value
    .split(",")
    .map((member) => anyTag.exec(member.trim())?.[2])
    .filter((tag): tag is string => tag !== undefined);
}

function capped(digits: string): bigint {
  const value = BigInt(digits);
  return value > largestPosition ? largestPosition : value;
}
