import { chmod, lstat, mkdir, open, readdir } from "node:fs/promises";
import { join, resolve } from "node:path";

const groupAndOthers = 0o077;

/**
 * Makes `dir` a folder only its owner may enter (0700), creating it if
 * needed, and takes group and other permissions off everything already in
 * it, at any depth (a folder an older version left 0755 becomes 0700, its
 * 0644 files 0600). Symbolic links are left alone, and so is what they point
 * to. Folders in `contentsLeftAlone` are made private themselves, but what
 * they hold is not touched: the volumes' files keep the modes their users
 * gave them, and are not walked at every start.
 */
export async function preparePrivateFolder(dir: string, contentsLeftAlone: string[] = []): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await tighten(dir, new Set(contentsLeftAlone.map((path) => resolve(path))));
}

/**
 * Takes group and other permissions off `file`. With `create`, a missing file
 * is created empty with mode 0600 first, so whatever later opens it (SQLite)
 * finds it private.
 */
export async function makeFilePrivate(file: string, create: boolean): Promise<void> {
  if (create) await (await open(file, "a", 0o600)).close();
  try {
    await tighten(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

async function tighten(path: string, contentsLeftAlone: ReadonlySet<string> = new Set()): Promise<void> {
  const info = await lstat(path);
  if (info.isSymbolicLink()) return;
  if ((info.mode & groupAndOthers) !== 0) {
    await chmod(path, info.mode & 0o7700).catch((error: NodeJS.ErrnoException) => {
      throw new Error(`cannot make ${path} private to this user (${error.code ?? error.message}); fix its owner or mode`);
    });
  }
  if (info.isDirectory() && !contentsLeftAlone.has(resolve(path))) {
    for (const name of await readdir(path)) await tighten(join(path, name), contentsLeftAlone);
  }
}
