/** What a new reading of a pod's logs adds to the reading before. */
export interface LogChange {
  /** Text not shown yet. */
  text: string;
  /** The logs started afresh (a new instance): `text` is all of them. */
  restarted: boolean;
}

const anchorChars = 4096;

/**
 * The part of `current` that `seen` (the previous reading) did not hold.
 * Logs grow at the end; past its cap the service also drops the oldest text,
 * so `current` may begin inside `seen`: then the longest end of `seen` that
 * begins `current` is what was kept, provided it holds at least the last
 * half of `seen` (up to 4 KiB). Otherwise the logs started afresh with a new
 * instance of the pod, and all of `current` is new.
 */
export function newLogText(seen: string, current: string): LogChange {
  if (current.startsWith(seen)) return { text: current.slice(seen.length), restarted: false };
  const anchor = seen.slice(-Math.min(anchorChars, Math.ceil(seen.length / 2)));
  for (let at = current.indexOf(anchor); at >= 0; at = current.indexOf(anchor, at + 1)) {
    const kept = at + anchor.length;
    if (seen.endsWith(current.slice(0, kept))) return { text: current.slice(kept), restarted: false };
  }
  return { text: current, restarted: true };
}
