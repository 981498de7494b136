import { randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import { Writable } from "node:stream";
import { fileMode, folderMode, partialPrefix, partsOf, type ClusterStorage, type ObjectRef } from "./cluster-storage.js";
import { entryOf, entryStats, linkRefused, walkFolders } from "./confined-folder.js";
import { isFolder, tooLarge } from "./storage-error.js";

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;
const mebibyte = 1024 * 1024;

/** Where an upload into the storage goes: bytes to `input`; `done` resolves once the file is in place. */
export interface StorageSink {
  input: Writable;
  /** The bytes the object holds with the new file; rejects with a StorageError when the file cannot be written. */
  done: Promise<{ objectBytes: number }>;
}

/**
 * Writes the file at `path` of the object, replacing any file there once the
 * last byte is written: the bytes go to a hidden partial file beside it,
 * renamed over the old one at the end, so readers see the old file or the
 * new one, never half of it. The object may hold at most `limitBytes` with
 * the new file (the old one's bytes are freed); a write past it fails and
 * the partial file is removed.
 */
export function writeStorageFile(storage: ClusterStorage, ref: ObjectRef, path: string, limitBytes: number): StorageSink {
  let settle!: { resolve(value: { objectBytes: number }): void; reject(error: unknown): void };
  const done = new Promise<{ objectBytes: number }>((resolve, reject) => (settle = { resolve, reject }));
  done.catch(() => undefined);
  const input = new StorageFileWriter(storage, ref, path, limitBytes, settle);
  // Its failure is told through `done`; as an event nobody else need listen for, it must not crash the agent.
  input.on("error", () => undefined);
  return { input, done };
}

class StorageFileWriter extends Writable {
  private object: FileHandle | null = null;
  private parent: FileHandle | null = null;
  private file: FileHandle | null = null;
  private partialName = "";
  private name = "";
  private inUse = 0;
  private remaining = 0;
  private written = 0;
  private placed = false;

  constructor(
    private readonly storage: ClusterStorage,
    private readonly ref: ObjectRef,
    private readonly path: string,
    private readonly limitBytes: number,
    private readonly settle: { resolve(value: { objectBytes: number }): void; reject(error: unknown): void },
  ) {
    super({ highWaterMark: mebibyte });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    this.prepare().then(() => callback(), (error: Error) => callback(error));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.written + chunk.length > this.remaining) {
      const mb = Math.floor(this.limitBytes / mebibyte);
      callback(tooLarge(`its size_limit is ${mb} MB (${this.limitBytes} bytes) and ${this.inUse} bytes are in use, so at most ${this.remaining} more bytes fit`));
      return;
    }
    this.written += chunk.length;
    this.file!.write(chunk).then(() => callback(), (error: Error) => callback(error));
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.place().then(() => callback(), (error: Error) => callback(error));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.release().then(
      () => {
        if (!this.placed) this.settle.reject(error ?? new Error("the upload was cancelled"));
        callback(error);
      },
      (releaseError: Error) => {
        this.settle.reject(error ?? releaseError);
        callback(error ?? releaseError);
      },
    );
  }

  private async prepare(): Promise<void> {
    const parts = partsOf(this.path);
    if (parts.length === 0) throw isFolder("'' is a folder");
    this.name = parts.at(-1)!;
    this.object = await this.storage.openObject(this.ref);
    this.parent = await walkFolders(this.object, parts.slice(0, -1), { createMode: folderMode });
    const existing = await entryStats(this.parent, this.name);
    if (existing?.isSymbolicLink()) throw linkRefused(parts.join("/"));
    if (existing?.isDirectory()) throw isFolder(`'${parts.join("/")}' is a folder`);
    const replaced = existing?.isFile() ? existing.size : 0;
    this.inUse = (await this.storage.usage(this.ref)) - replaced;
    this.remaining = Math.max(0, this.limitBytes - this.inUse);
    this.partialName = `${partialPrefix}${randomUUID()}`;
    this.file = await open(entryOf(this.parent, this.partialName), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, fileMode);
  }

  /** Moves the finished file into place; the rename replaces a file, never writes through a link. */
  private async place(): Promise<void> {
    await this.file!.close();
    this.file = null;
    try {
      await rename(entryOf(this.parent!, this.partialName), entryOf(this.parent!, this.name));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EISDIR" || code === "ENOTEMPTY" || code === "EEXIST") throw isFolder(`'${this.path}' is a folder`);
      throw error;
    }
    this.placed = true;
    this.settle.resolve({ objectBytes: this.inUse + this.written });
  }

  private async release(): Promise<void> {
    await this.file?.close().catch(() => undefined);
    this.file = null;
    if (!this.placed && this.parent && this.partialName) {
      await unlink(entryOf(this.parent, this.partialName)).catch(() => undefined);
    }
    await this.parent?.close().catch(() => undefined);
    await this.object?.close().catch(() => undefined);
    this.parent = null;
    this.object = null;
  }
}
