import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { UsageError } from "../cli-error.js";

/** A local file to upload: its path, the name it is sent under, and its size. */
export async function localFile(path: string): Promise<{ path: string; name: string; size: number }> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new UsageError(`${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  if (!info.isFile()) throw new UsageError(`${path}: is not a file`);
  return { path, name: basename(path), size: info.size };
}

/** The shell words of a command, quoted where needed, for "run … again" hints. */
export function commandLine(words: string[]): string {
  return words.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`)).join(" ");
}
