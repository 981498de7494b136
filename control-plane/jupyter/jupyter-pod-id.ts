import { createHash } from "node:crypto";

/**
 * The id of a user's Jupyter pod: "jupyter<username>" when the username is
 * lowercase letters and digits (and short enough for a host name), else
 * "jupyter" and what is left of it, ending with a hash of the username, so
 * usernames that differ only in other characters get pods of their own.
 */
export function jupyterPodId(username: string): string {
  if (/^[a-z0-9]{1,56}$/.test(username)) return `jupyter${username}`;
  const kept = username.toLowerCase().replace(/[^a-z0-9]/g, "").slice(0, 40);
  return `jupyter${kept}${createHash("sha256").update(username).digest("hex").slice(0, 10)}`;
}
