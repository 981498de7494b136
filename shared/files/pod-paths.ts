/**
 * The rules every path in a pod's container obeys, checked by the control
 * plane (to answer 400 before anything is sent) and again by the agent
 * (which trusts no sender). A pod's administrator may read anything in its
 * container, so the rules are not about confinement: they keep paths
 * unambiguous ("." and ".." names are refused rather than resolved, so what
 * is asked for is what is read) and safe to hand to a command.
 */

/** The most bytes of a whole path (PATH_MAX). */
export const maxPodPathBytes = 4096;
/** The most bytes of one name (NAME_MAX). */
export const maxPodNameBytes = 255;

// eslint-disable-next-line no-control-regex
const controlCharacters = /[\x00-\x1f\x7f]/;

/** The path, or the rule it breaks (phrased to follow "<field>: "). */
export type PodPathReading = { path: string } | { rule: string };

/**
 * Reads a path in a container. "" and "." are the working directory, "/"
 * the root. `absolute` says whether a leading "/" may name an absolute path
 * ("absolute-allowed", as ?path= may) or not ("relative-only", for a path
 * taken from the URL, where only a %2F-encoded slash can start one).
 * Trailing slashes are dropped.
 */
export function readPodPath(path: string, absolute: "absolute-allowed" | "relative-only"): PodPathReading {
  if (controlCharacters.test(path)) return { rule: "must not contain control characters" };
  if (Buffer.byteLength(path) > maxPodPathBytes) return { rule: `must be at most ${maxPodPathBytes} bytes` };
  if (path.startsWith("/") && absolute === "relative-only") {
    return { rule: "must be relative to the container's working directory here; give an absolute path as ?path=" };
  }
  if (path === "" || path === ".") return { path: "." };
  if (/^\/+$/.test(path)) return { path: "/" };
  const leading = path.startsWith("/") ? "/" : "";
  const inner = path.slice(leading.length).replace(/\/+$/, "");
  const names = inner.split("/");
  if (names.some((name) => name === "")) return { rule: "must not contain empty names ('//')" };
  if (names.some((name) => name === "." || name === "..")) return { rule: "must not contain '.' or '..' names" };
  if (names.some((name) => Buffer.byteLength(name) > maxPodNameBytes)) return { rule: `each name must be at most ${maxPodNameBytes} bytes` };
  return { path: leading + inner };
}
