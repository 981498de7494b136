import { randomUUID } from "node:crypto";
import { constants, type Stats } from "node:fs";
import { access, chmod, mkdir, open, rename, type FileHandle } from "node:fs/promises";
import { readStoragePath } from "../../shared/storage/storage-paths.js";
import { entryOf, entryStats, makeFolder, namesIn, openChildFolder, removeEntry, walkFolders } from "./confined-folder.js";
import { invalidPath, notFound } from "./storage-error.js";

/** Which object of the storage: `<kind>/<tenantId>/<objectId>`. */
export interface ObjectRef {
  kind: "volumes" | "snapshots";
  tenantId: string;
  objectId: string;
}

/** One entry of a listing, as FileInfo describes it. */
export interface EntryInfo {
  path: string;
  name: string;
  type: "file" | "dir" | "link" | "other";
  size: number;
  lastModified: string;
  nativePermissions: string;
}

const tenantPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const objectIdPattern = /^[a-z][a-z0-9]{2,63}$/;
/** Files an upload is still writing; not shown, replaced whole when it ends. */
export const partialPrefix = ".pods-partial-";
/** The most entries one listing returns. */
export const maxListedEntries = 10_000;
/**
 * An object's own folder is writable by everyone: the pods that mount it
 * run as whatever user their image says, and only they (and the agent) can
 * reach it. Folders and files made through the API get ordinary modes.
 */
export const objectFolderMode = 0o777;
export const folderMode = 0o755;
export const fileMode = 0o644;

/**
 * The cluster's storage as the agent holds it: a folder (the storage claim
 * mounted into the agent, or a local folder) with `volumes/<tenant>/<id>`
 * and `snapshots/<tenant>/<id>`. Every path inside an object is walked from
 * the object's folder one name at a time (see confined-folder.ts).
 */
export class ClusterStorage {
  constructor(readonly root: string) {}

  /** Makes the root; fails on a system without /proc/self/fd, which safe resolution needs. */
  async start(): Promise<void> {
    await access("/proc/self/fd", constants.R_OK).catch(() => {
      throw new Error("the cluster's storage needs Linux /proc/self/fd to resolve paths safely");
    });
    await mkdir(this.root, { recursive: true });
  }

  /** Opens an object's folder (made first with `create`); the caller closes it. */
  async openObject(ref: ObjectRef, options: { create?: boolean } = {}): Promise<FileHandle> {
    if (!tenantPattern.test(ref.tenantId)) throw invalidPath(`'${ref.tenantId}' is not a tenant id`);
    if (!objectIdPattern.test(ref.objectId)) throw invalidPath(`'${ref.objectId}' is not an id`);
    const root = await open(this.root, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      if (!options.create) return await walkFolders(root, [ref.kind, ref.tenantId, ref.objectId]);
      const tenant = await walkFolders(root, [ref.kind, ref.tenantId], { createMode: folderMode });
      try {
        if (await makeFolder(tenant, ref.objectId, objectFolderMode)) await chmod(entryOf(tenant, ref.objectId), objectFolderMode);
        return await openChildFolder(tenant, ref.objectId, ref.objectId);
      } finally {
        await tenant.close();
      }
    } finally {
      await root.close();
    }
  }

  /** Opens the folder of the object's tenant (made first), where whole objects appear and go. */
  async openTenantFolder(kind: ObjectRef["kind"], tenantId: string): Promise<FileHandle> {
    if (!tenantPattern.test(tenantId)) throw invalidPath(`'${tenantId}' is not a tenant id`);
    const root = await open(this.root, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      return await walkFolders(root, [kind, tenantId], { createMode: folderMode });
    } finally {
      await root.close();
    }
  }

  /** Makes the object's folder; nothing when it exists. */
  async createFolder(ref: ObjectRef): Promise<void> {
    await (await this.openObject(ref, { create: true })).close();
  }

  /** Removes the object's folder: first out of sight (one rename), then entry by entry. */
  async remove(ref: ObjectRef): Promise<void> {
    const tenant = await this.openTenantFolder(ref.kind, ref.tenantId);
    try {
      const doomed = `${partialPrefix}removed-${randomUUID()}`;
      try {
        await rename(entryOf(tenant, ref.objectId), entryOf(tenant, doomed));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
        throw error;
      }
      await removeEntry(tenant, doomed);
    } finally {
      await tenant.close();
    }
  }

  /** Describes the entry at `path` of the object (the folder itself for ""). */
  async stat(ref: ObjectRef, path: string): Promise<EntryInfo> {
    const parts = partsOf(path);
    const object = await this.openObject(ref);
    try {
      if (parts.length === 0) return describe("", "", await object.stat());
      const parent = await walkFolders(object, parts.slice(0, -1));
      try {
        const name = parts.at(-1)!;
        const stats = await entryStats(parent, name);
        if (!stats) throw notFoundAt(parts);
        if (stats.isSymbolicLink()) throw invalidPath(`'${parts.join("/")}' is a symbolic link; links are not followed`);
        return describe(parts.join("/"), name, stats);
      } finally {
        await parent.close();
      }
    } finally {
      await object.close();
    }
  }

  /** Every entry under the folder at `path`, folders before their contents, links not followed. */
  async list(ref: ObjectRef, path: string): Promise<{ entries: EntryInfo[]; truncated: boolean }> {
    const parts = partsOf(path);
    const object = await this.openObject(ref);
    try {
      const folder = await walkFolders(object, parts);
      try {
        const entries: EntryInfo[] = [];
        const truncated = await listInto(folder, parts.join("/"), entries);
        return { entries, truncated };
      } finally {
        await folder.close();
      }
    } finally {
      await object.close();
    }
  }

  /** Bytes of the files under `path` of the object (links and partial uploads count as what they are). */
  async usage(ref: ObjectRef, path = ""): Promise<number> {
    const object = await this.openObject(ref);
    try {
      const folder = await walkFolders(object, partsOf(path));
      try {
        return await bytesUnder(folder);
      } finally {
        await folder.close();
      }
    } finally {
      await object.close();
    }
  }
}

/** The names of a path an agent was sent; refused as the control plane would refuse it. */
export function partsOf(path: string): string[] {
  const reading = readStoragePath(path, "root");
  if ("rule" in reading) throw invalidPath(reading.rule);
  return reading.parts;
}

export function notFoundAt(parts: readonly string[]): Error {
  return notFound(`'${parts.join("/")}' does not exist`);
}

async function listInto(folder: FileHandle, prefix: string, out: EntryInfo[]): Promise<boolean> {
  for (const name of await namesIn(folder)) {
    if (name.startsWith(partialPrefix)) continue;
    const stats = await entryStats(folder, name);
    if (!stats) continue;
    if (out.length >= maxListedEntries) return true;
    const path = prefix ? `${prefix}/${name}` : name;
    out.push(describe(path, name, stats));
    if (!stats.isDirectory()) continue;
    const child = await openChildFolder(folder, name, path).catch(() => null);
    if (!child) continue;
    try {
      if (await listInto(child, path, out)) return true;
    } finally {
      await child.close();
    }
  }
  return false;
}

async function bytesUnder(folder: FileHandle): Promise<number> {
  let total = 0;
  for (const name of await namesIn(folder)) {
    const stats = await entryStats(folder, name);
    if (!stats) continue;
    if (stats.isFile()) total += stats.size;
    if (!stats.isDirectory()) continue;
    const child = await openChildFolder(folder, name, name).catch(() => null);
    if (!child) continue;
    try {
      total += await bytesUnder(child);
    } finally {
      await child.close();
    }
  }
  return total;
}

export function describe(path: string, name: string, stats: Stats): EntryInfo {
  const type = stats.isFile() ? "file" : stats.isDirectory() ? "dir" : stats.isSymbolicLink() ? "link" : "other";
  return {
    path,
    name,
    type,
    size: type === "file" ? stats.size : 0,
    lastModified: stats.mtime.toISOString(),
    nativePermissions: permissionString(stats.mode),
  };
}

function permissionString(mode: number): string {
  const bits = "rwxrwxrwx";
  return [...bits].map((letter, index) => (mode & (0o400 >> index) ? letter : "-")).join("");
}
