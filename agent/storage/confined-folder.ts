import { constants, type Stats } from "node:fs";
import { lstat, mkdir, open, readdir, rmdir, unlink, type FileHandle } from "node:fs/promises";
import { invalidPath, notFolder, notFound } from "./storage-error.js";

/*
 * Race-free resolution of paths inside a folder that others (the pods that
 * mount it) may change at any moment.
 *
 * Checking a path string and then using it is not safe: between the check
 * and the use, a pod can swap a folder for a symbolic link to /etc or to
 * another tenant's volume. The system call that avoids this is openat(dir,
 * name, O_NOFOLLOW): it looks up one name inside a folder already open, and
 * refuses a link. Node has no openat, but on Linux "/proc/self/fd/<fd>/<name>"
 * is the same lookup: the kernel follows the magic link /proc/self/fd/<fd>
 * straight to the folder the descriptor holds (not to a path that could have
 * changed since), then looks up <name> inside it, and O_NOFOLLOW applies to
 * <name>. So every path is walked one name at a time from the object's own
 * folder, each folder opened with O_DIRECTORY | O_NOFOLLOW, and every
 * operation (open, mkdir, rename, unlink, lstat) names one entry of a folder
 * held open. Nothing is resolved through a symbolic link, ever; no string
 * prefix check is relied on.
 */

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;

/** The path by which the kernel reaches entry `name` of the folder open as `dir`, as openat(dir, name) would. */
export function entryOf(dir: FileHandle, name: string): string {
  return `/proc/self/fd/${dir.fd}/${name}`;
}

/** The folder open as `dir` itself, for readdir. */
export function selfOf(dir: FileHandle): string {
  return `/proc/self/fd/${dir.fd}`;
}

/** Opens folder `name` of `dir`, never through a symbolic link; `shown` names it in errors. */
export async function openChildFolder(dir: FileHandle, name: string, shown: string): Promise<FileHandle> {
  try {
    return await open(entryOf(dir, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (error) {
    throw await explainOpenFailure(error, dir, name, shown);
  }
}

/**
 * Opens the folder `parts` below `start` (which stays open), one name at a
 * time. With `createMode`, missing folders are made (with that mode).
 * Returns a new handle the caller closes.
 */
export async function walkFolders(start: FileHandle, parts: readonly string[], options: { shownPrefix?: string[]; createMode?: number } = {}): Promise<FileHandle> {
  let current = await open(selfOf(start), O_RDONLY | O_DIRECTORY);
  const shown = [...(options.shownPrefix ?? [])];
  try {
    for (const part of parts) {
      shown.push(part);
      if (options.createMode !== undefined) await makeFolder(current, part, options.createMode);
      const next = await openChildFolder(current, part, shown.join("/"));
      await current.close();
      current = next;
    }
    return current;
  } catch (error) {
    await current.close();
    throw error;
  }
}

/** Makes folder `name` in `dir` unless something of that name exists (which the open that follows checks). */
export async function makeFolder(dir: FileHandle, name: string, mode: number): Promise<boolean> {
  try {
    await mkdir(entryOf(dir, name), { mode });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/** What entry `name` of `dir` is, without following it; null when there is none. */
export async function entryStats(dir: FileHandle, name: string): Promise<Stats | null> {
  try {
    return await lstat(entryOf(dir, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/** The names in the folder open as `dir`, sorted. */
export async function namesIn(dir: FileHandle): Promise<string[]> {
  return (await readdir(selfOf(dir))).sort();
}

/**
 * Removes entry `name` of `dir` and, for a folder, everything in it, one
 * entry at a time through open folders: a link is removed, never followed.
 */
export async function removeEntry(dir: FileHandle, name: string): Promise<void> {
  let child: FileHandle;
  try {
    child = await open(entryOf(dir, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return;
    if (code !== "ENOTDIR" && code !== "ELOOP") throw error;
    await unlink(entryOf(dir, name)).catch((unlinkError: NodeJS.ErrnoException) => {
      if (unlinkError.code !== "ENOENT") throw unlinkError;
    });
    return;
  }
  try {
    for (const entry of await namesIn(child)) await removeEntry(child, entry);
  } finally {
    await child.close();
  }
  await rmdir(entryOf(dir, name)).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
}

/** Why opening `name` in `dir` failed, in the client's terms when it is the client's path. */
export async function explainOpenFailure(error: unknown, dir: FileHandle, name: string, shown: string): Promise<unknown> {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return notFound(`'${shown}' does not exist`);
  if (code === "ENAMETOOLONG") return invalidPath(`'${shown}' is too long`);
  if (code === "ELOOP") return linkRefused(shown);
  if (code === "ENOTDIR") {
    const stats = await entryStats(dir, name).catch(() => null);
    return stats?.isSymbolicLink() ? linkRefused(shown) : notFolder(`'${shown}' is not a folder`);
  }
  return error;
}

export function linkRefused(shown: string): Error {
  return invalidPath(`'${shown}' is a symbolic link; links are not followed`);
}
