import { randomUUID } from "node:crypto";
import { constants, type Stats } from "node:fs";
import { chmod, copyFile, mkdir, open, readlink, rename, symlink, utimes, type FileHandle } from "node:fs/promises";
import { folderMode, objectFolderMode, partialPrefix, partsOf, notFoundAt, type ClusterStorage, type ObjectRef } from "./cluster-storage.js";
import { entryOf, entryStats, linkRefused, namesIn, openChildFolder, removeEntry, walkFolders } from "./confined-folder.js";
import { tooLarge } from "./storage-error.js";

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = constants;
const mebibyte = 1024 * 1024;

/** Counts the bytes a copy has taken and stops it past its limit. */
class CopyBudget {
  private used = 0;
  constructor(private readonly limitBytes: number) {}

  take(bytes: number): void {
    this.used += bytes;
    if (this.used > this.limitBytes) {
      throw tooLarge(`the source holds more than the size_limit of ${Math.floor(this.limitBytes / mebibyte)} MB (${this.limitBytes} bytes)`);
    }
  }

  get bytes(): number {
    return this.used;
  }
}

/**
 * Copies the file or folder at `sourcePath` of one object to `destinationPath`
 * inside a new object (a snapshot), which appears whole or not at all: the
 * copy is built in a hidden folder beside it and renamed into place at the
 * end. Files are copied as they are at that moment (their bytes, mode and
 * times); links are copied as links, never followed; other special files are
 * left out. When the new object exists already (an earlier copy finished
 * but was not recorded), nothing is copied again. Returns its bytes.
 */
export async function copyIntoNewObject(
  storage: ClusterStorage,
  source: ObjectRef,
  sourcePath: string,
  destination: ObjectRef,
  destinationPath: string,
  limitBytes: number,
): Promise<number> {
  const sourceParts = partsOf(sourcePath);
  const destinationParts = partsOf(destinationPath);
  const tenant = await storage.openTenantFolder(destination.kind, destination.tenantId);
  try {
    if (await entryStats(tenant, destination.objectId)) return await storage.usage(destination);
    const building = `${partialPrefix}copy-${randomUUID()}`;
    await mkdir(entryOf(tenant, building), { mode: objectFolderMode });
    await chmod(entryOf(tenant, building), objectFolderMode);
    try {
      const budget = new CopyBudget(limitBytes);
      const target = await openChildFolder(tenant, building, building);
      try {
        await copyFrom(storage, source, sourceParts, target, destinationParts, budget);
      } finally {
        await target.close();
      }
      await rename(entryOf(tenant, building), entryOf(tenant, destination.objectId));
      return budget.bytes;
    } catch (error) {
      await removeEntry(tenant, building).catch(() => undefined);
      throw error;
    }
  } finally {
    await tenant.close();
  }
}

async function copyFrom(storage: ClusterStorage, source: ObjectRef, sourceParts: string[], target: FileHandle, destinationParts: string[], budget: CopyBudget): Promise<void> {
  const object = await storage.openObject(source);
  try {
    if (sourceParts.length === 0) {
      const into = await walkFolders(target, destinationParts, { createMode: folderMode });
      try {
        await copyChildren(object, into, budget);
      } finally {
        await into.close();
      }
      return;
    }
    const sourceParent = await walkFolders(object, sourceParts.slice(0, -1));
    try {
      const name = sourceParts.at(-1)!;
      const stats = await entryStats(sourceParent, name);
      if (!stats) throw notFoundAt(sourceParts);
      if (stats.isSymbolicLink()) throw linkRefused(sourceParts.join("/"));
      const landing = destinationParts.length > 0 ? destinationParts : sourceParts;
      const targetParent = await walkFolders(target, landing.slice(0, -1), { createMode: folderMode });
      try {
        await copyEntry(sourceParent, name, stats, targetParent, landing.at(-1)!, budget);
      } finally {
        await targetParent.close();
      }
    } finally {
      await sourceParent.close();
    }
  } finally {
    await object.close();
  }
}

async function copyChildren(from: FileHandle, to: FileHandle, budget: CopyBudget): Promise<void> {
  for (const name of await namesIn(from)) {
    if (name.startsWith(partialPrefix)) continue;
    const stats = await entryStats(from, name);
    if (stats) await copyEntry(from, name, stats, to, name, budget);
  }
}

async function copyEntry(fromDir: FileHandle, name: string, stats: Stats, toDir: FileHandle, as: string, budget: CopyBudget): Promise<void> {
  const destination = entryOf(toDir, as);
  if (stats.isSymbolicLink()) {
    await symlink(await readlink(entryOf(fromDir, name)), destination);
    return;
  }
  if (stats.isDirectory()) {
    const from = await openChildFolder(fromDir, name, name).catch(() => null);
    if (!from) return;
    try {
      await mkdir(destination, { mode: folderMode });
      const to = await openChildFolder(toDir, as, as);
      try {
        await copyChildren(from, to, budget);
      } finally {
        await to.close();
      }
      await chmod(destination, stats.mode & 0o7777);
      await utimes(destination, stats.atime, stats.mtime);
    } finally {
      await from.close();
    }
    return;
  }
  if (!stats.isFile()) return;
  // Opened without following a link, then copied from that descriptor: a swap since the listing cannot redirect it.
  let handle: FileHandle;
  try {
    handle = await open(entryOf(fromDir, name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch {
    return;
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) return;
    budget.take(opened.size);
    await copyFile(`/proc/self/fd/${handle.fd}`, destination, constants.COPYFILE_EXCL);
    await chmod(destination, opened.mode & 0o7777);
    await utimes(destination, opened.atime, opened.mtime);
  } finally {
    await handle.close();
  }
}
