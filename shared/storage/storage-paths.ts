/**
 * The rules every path inside a volume or snapshot obeys, checked by the
 * control plane (to answer 400 before anything is sent) and again by the
 * agent (which alone can see symbolic links, and trusts no sender).
 */

/** The most bytes of one name, as most file systems allow. */
export const maxNameBytes = 255;
/** The most bytes of a whole path. */
export const maxPathBytes = 4096;

// eslint-disable-next-line no-control-regex
const controlCharacters = /[\x00-\x1f\x7f]/;

/** The names of a path, or the rule it breaks (phrased to follow "<field>: "). */
export type PathReading = { parts: string[] } | { rule: string };

/**
 * Reads a path inside an object (a volume or snapshot) into its names.
 * `leadingSlash` says what a leading "/" means: "root" (the object's root,
 * as the docs write "/data"), or "refuse" (where a client can only send one
 * on purpose, e.g. a %2F-encoded URL path, which asks for a host path). An
 * empty path, or "/", is the root itself: [] names.
 */
export function readStoragePath(path: string, leadingSlash: "root" | "refuse", objectKind: "volume" | "snapshot" = "volume"): PathReading {
  if (controlCharacters.test(path)) return { rule: "must not contain control characters" };
  if (path.includes("\\")) return { rule: "must not contain '\\'" };
  if (path.startsWith("/") && leadingSlash === "refuse") return { rule: `must be relative to the ${objectKind}'s root, not an absolute path` };
  if (Buffer.byteLength(path) > maxPathBytes) return { rule: `must be at most ${maxPathBytes} bytes` };
  const inner = path.replace(/^\/+/, "").replace(/\/+$/, "");
  if (inner === "") return { parts: [] };
  const parts = inner.split("/");
  if (parts.some((part) => part === "")) return { rule: "must not contain empty names ('//')" };
  if (parts.some((part) => part === "." || part === "..")) return { rule: "must not contain '.' or '..' names" };
  if (parts.some((part) => Buffer.byteLength(part) > maxNameBytes)) return { rule: `each name must be at most ${maxNameBytes} bytes` };
  return { parts };
}

/**
 * Why a name inside a folder being zipped would make an unsafe zip entry
 * (one an unzip could write outside its target, "zip-slip"), or null. Names
 * on Linux cannot hold "/" or be "..", but may hold "\", which other systems
 * read as a separator.
 */
export function zipEntryProblem(name: string): string | null {
  if (name.includes("\\")) return "would escape the folder when unzipped (it holds '\\')";
  if (controlCharacters.test(name)) return "holds control characters";
  return null;
}
