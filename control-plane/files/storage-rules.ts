import { readStoragePath } from "../../shared/storage/storage-paths.js";
import type { ProblemList } from "../errors/domain-errors.js";
import { validateDescription } from "../pods/pod-rules.js";
import type { StorageObjectKind } from "./storage-object.js";

/** Ids of volumes and snapshots: as pod ids, 3-64 lowercase letters and digits, starting with a letter. */
export const storageIdPattern = /^[a-z][a-z0-9]{2,63}$/;

export function validateStorageId(field: string, id: string, problems: ProblemList): void {
  if (!storageIdPattern.test(id)) problems.add(field, `must be 3-64 lowercase letters and digits, starting with a letter (got ${JSON.stringify(id)})`);
}

/** size_limit in MB: at least 1, at most the site's maximum. */
export function validateSizeLimit(sizeLimitMb: number, maxMb: number, problems: ProblemList): void {
  if (!Number.isInteger(sizeLimitMb) || sizeLimitMb < 1 || sizeLimitMb > maxMb) problems.add("size_limit", `must be between 1 and ${maxMb} (MB)`);
}

export function validateObjectDescription(description: string, problems: ProblemList): void {
  validateDescription(description, problems);
}

/**
 * The names of a path field, or null after recording the rule it breaks.
 * `leadingSlash` as readStoragePath: "root" where the docs write "/data",
 * "refuse" for paths that come from a URL, where only a client asking for a
 * host path sends one.
 */
export function storagePathOf(field: string, path: string, leadingSlash: "root" | "refuse", kind: StorageObjectKind, problems: ProblemList): string[] | null {
  const reading = readStoragePath(path, leadingSlash, kind);
  if ("rule" in reading) {
    problems.add(field, reading.rule);
    return null;
  }
  return reading.parts;
}
