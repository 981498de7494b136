import { once } from "node:events";
import { Readable, Transform } from "node:stream";
import { ZipFile } from "yazl";
import { StorageProblem, type PodPath } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import type { PodFileInfo } from "../../gen/tapis/pods/v1/common_pb.js";
import { readPodPath } from "../../shared/files/pod-paths.js";
import type { ClusterDriver, CommandOutcome, CommandStream } from "../drivers/cluster-driver.js";
import type { Download } from "../storage/storage-read.js";
import { invalidPath, notFound, StorageError, tooLarge } from "../storage/storage-error.js";
import { TarToZip } from "./tar-to-zip.js";

type FileEntry = Omit<PodFileInfo, "$typeName" | "$unknown">;

/** The most entries one listing gives; the rest is left out (and said so). */
export const maxListedEntries = 10_000;
/** A listing's output beyond this is refused rather than held. */
const maxListingBytes = 16 * 1024 * 1024;
/** A quick look at a path (listing, what it is). */
const lookTimeoutMs = 60_000;
/** A download of a large file or folder can take long; this only catches a stuck one. */
const readTimeoutMs = 6 * 3600 * 1000;

/*
 * Scripts run with `sh -c <script> sh <path>`: the path arrives as $1, never
 * as part of the script, so no name can inject a command. A relative path is
 * prefixed with "./" so that no name is taken for an option.
 */
const listScript = `p=$1
case $p in /*) ;; *) p=./$p ;; esac
command -v stat >/dev/null 2>&1 || { echo NOSTAT; exit 0; }
if [ -d "$p" ]; then
  cd "$p" 2>/dev/null || { echo DENIED; exit 0; }
  echo DIR
  n=0
  for f in .[!.]* ..?* *; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    n=$((n+1))
    if [ "$n" -gt ${maxListedEntries} ]; then printf 'MORE\\0'; break; fi
    printf '%s\\0%s\\0' "$(stat -c '%f %s %Y %U %G' "./$f" 2>/dev/null)" "$f"
  done
elif [ -e "$p" ] || [ -L "$p" ]; then
  echo ONE
  printf '%s\\0%s\\0' "$(stat -c '%f %s %Y %U %G' "$p" 2>/dev/null)" "\${p##*/}"
else
  echo NOTFOUND
fi`;

const whatScript = `p=$1
case $p in /*) ;; *) p=./$p ;; esac
if [ -d "$p" ]; then
  command -v tar >/dev/null 2>&1 || { echo NOTAR; exit 0; }
  if [ -r "$p" ] && [ -x "$p" ]; then echo DIR; else echo DENIED; fi
elif [ -f "$p" ]; then
  [ -r "$p" ] || { echo DENIED; exit 0; }
  s=$(stat -L -c %s "$p" 2>/dev/null) || s=$(wc -c < "$p")
  echo "FILE $s"
elif [ -e "$p" ] || [ -L "$p" ]; then
  echo OTHER
else
  echo NOTFOUND
fi`;

/** A cluster where no container runs (simulated): there are no files to reach. */
export const noContainer = Symbol("no container");

/**
 * Files in pods' containers, reached through exec: a folder's entries (with
 * stat), a file's bytes (cat) or a folder as a zip (tar, turned into a zip
 * here). The container is not trusted: paths are checked again, output is
 * parsed defensively, and what a download sends is bounded by what was
 * announced.
 */
export class PodFiles {
  constructor(private readonly driver: () => ClusterDriver | undefined) {}

  async list(place: PodPath): Promise<{ files: FileEntry[]; truncated: boolean } | typeof noContainer> {
    const path = checkedPath(place.path);
    const run = this.run(place, ["sh", "-c", listScript, "sh", path], lookTimeoutMs);
    if (!run) return noContainer;
    const output = await collect(run, maxListingBytes);
    const outcome = await run.done;
    if (outcome.error || outcome.exitCode !== 0) throw commandFailure("listing", path, outcome);
    const newline = output.indexOf(0x0a);
    const state = output.subarray(0, newline < 0 ? output.length : newline).toString("utf8");
    switch (state) {
      case "NOTFOUND":
        throw notFound(`'${path}' does not exist in the container`);
      case "DENIED":
        throw invalidPath(`'${path}' cannot be read in the container (permission denied)`);
      case "NOSTAT":
        throw new StorageError(StorageProblem.UNSPECIFIED, "the container has no 'stat' command, so its files cannot be listed; use exec instead");
      case "DIR":
      case "ONE":
        return parseEntries(output.subarray(newline + 1), path, state === "ONE");
      default:
        throw new Error(`the container answered the listing with something unexpected: ${JSON.stringify(state.slice(0, 80))}`);
    }
  }

  /** A file's bytes, or a zip of a file or folder; failures before the first byte are thrown. */
  async read(place: PodPath, zip: boolean): Promise<Download | typeof noContainer> {
    const path = checkedPath(place.path);
    const look = this.run(place, ["sh", "-c", whatScript, "sh", path], lookTimeoutMs);
    if (!look) return noContainer;
    const answer = (await collect(look, 4096)).toString("utf8").trim();
    const outcome = await look.done;
    if (outcome.error || outcome.exitCode !== 0) throw commandFailure("reading", path, outcome);
    const [state, size] = answer.split(" ");
    const name = path === "." || path === "/" ? "files" : path.split("/").at(-1)!;
    const inContainer = path.startsWith("/") ? path : `./${path}`;
    switch (state) {
      case "NOTFOUND":
        throw notFound(`'${path}' does not exist in the container`);
      case "DENIED":
        throw invalidPath(`'${path}' cannot be read in the container (permission denied)`);
      case "OTHER":
        throw invalidPath(`'${path}' is neither a regular file nor a folder`);
      case "NOTAR":
        throw new StorageError(StorageProblem.UNSPECIFIED, "the container has no 'tar' command, so its folders cannot be downloaded; download the files one by one");
      case "DIR":
        return this.folderZip(place, inContainer, name);
      case "FILE": {
        const bytes = Number(size);
        if (!Number.isSafeInteger(bytes) || bytes < 0) throw new Error(`the container gave no size for '${path}'`);
        return this.file(place, inContainer, name, bytes, zip);
      }
      default:
        throw new Error(`the container answered with something unexpected: ${JSON.stringify(answer.slice(0, 80))}`);
    }
  }

  private file(place: PodPath, path: string, name: string, bytes: number, zip: boolean): Download {
    const run = this.runOrFail(place, ["cat", "--", path]);
    const limited = upTo(run.stdout, bytes);
    // The file may have grown or shrunk since it was measured: exactly the bytes announced go, or the download fails.
    const complete = once(limited.stream, "end").then(async () => {
      if (limited.sent() === bytes) return;
      const outcome = await run.done;
      throw new Error(`'${path}' ended after ${limited.sent()} of ${bytes} bytes${outcome.error ? `: ${outcome.error}` : ""}`);
    });
    complete.catch(() => undefined);
    if (!zip) return { stream: limited.stream, contentType: "application/octet-stream", filename: name, contentLength: bytes, complete };
    const archive = new ZipFile();
    archive.addReadStream(limited.stream, name);
    archive.end();
    return { stream: archive.outputStream as Readable, contentType: "application/zip", filename: `${name}.zip`, complete };
  }

  private folderZip(place: PodPath, path: string, name: string): Download {
    const run = this.runOrFail(place, ["tar", "-cf", "-", "-C", path, "."]);
    const converter = new TarToZip(name);
    run.stdout.pipe(converter.input);
    run.stdout.once("error", (error) => converter.input.destroy(error));
    // Once the whole tar is in, the zip ends, with a note of what tar could not read.
    void Promise.all([once(converter.input, "finish"), run.done]).then(
      ([, outcome]) => {
        const problems = outcome.exitCode !== 0 ? outcome.output.trim() || outcome.error || `tar exited with code ${outcome.exitCode}` : "";
        converter.finish(problems ? `${problems}\n` : undefined);
      },
      (error: unknown) => converter.output.destroy(error instanceof Error ? error : new Error(String(error))),
    );
    converter.output.once("close", () => run.stdout.destroy());
    return { stream: converter.output, contentType: "application/zip", filename: `${name}.zip` };
  }

  private run(place: PodPath, argv: string[], timeoutMs: number): CommandStream | null {
    const driver = this.driver();
    if (!driver) throw new Error("the agent is starting");
    return driver.execStream({ tenantId: place.tenantId, podId: place.podId }, place.uid, argv, timeoutMs);
  }

  private runOrFail(place: PodPath, argv: string[]): CommandStream {
    const run = this.run(place, argv, readTimeoutMs);
    if (!run) throw new Error("no container runs in this cluster");
    return run;
  }
}

/** The path as the control plane checked it; an agent trusts no sender. */
function checkedPath(path: string): string {
  const reading = readPodPath(path, "absolute-allowed");
  if ("rule" in reading) throw invalidPath(`'${path.slice(0, 200)}' ${reading.rule}`);
  return reading.path;
}

/** All a command writes, up to `limit` bytes (more is refused). */
async function collect(run: CommandStream, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of run.stdout as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      run.stdout.destroy();
      throw tooLarge(`the container's answer exceeds ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function commandFailure(what: string, path: string, outcome: CommandOutcome): Error {
  const why = outcome.error ?? `exited with code ${outcome.exitCode}`;
  const said = outcome.output.trim();
  return new StorageError(StorageProblem.UNSPECIFIED, `${what} '${path}' in the container failed: ${why}${said ? `: ${said.slice(0, 500)}` : ""}`);
}

/** Passes on at most `limit` bytes of `source`, then stops it. */
function upTo(source: Readable, limit: number): { stream: Readable; sent: () => number } {
  let sent = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const room = limit - sent;
      if (room <= 0) return callback();
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      sent += part.length;
      callback(null, part);
      if (sent >= limit) {
        this.end();
        source.destroy();
      }
    },
  });
  source.pipe(stream);
  stream.once("close", () => source.destroy());
  return { stream, sent: () => sent };
}

/** Entries from the listing script: "<hex mode> <size> <mtime> <owner> <group>\0<name>\0" each. */
function parseEntries(data: Buffer, asked: string, single: boolean): { files: FileEntry[]; truncated: boolean } {
  const fields = data.toString("utf8").split("\0");
  const files: FileEntry[] = [];
  let truncated = false;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const meta = fields[i]!;
    if (meta === "MORE") {
      truncated = true;
      break;
    }
    const name = fields[i + 1]!;
    const [modeHex, size, mtime, owner, ...group] = meta.split(" ");
    const mode = parseInt(modeHex ?? "", 16);
    // An entry stat could not read (it vanished, or is unreadable) is left out.
    if (!Number.isInteger(mode) || !name || name.includes("/")) continue;
    files.push({
      name,
      path: single ? asked : joinPath(asked, name),
      type: typeOf(mode),
      size: BigInt(/^\d+$/.test(size ?? "") ? size! : "0"),
      owner: owner ?? "",
      group: group.join(" "),
      nativePermissions: permissionString(mode),
      lastModified: /^\d+$/.test(mtime ?? "") ? new Date(Number(mtime) * 1000).toISOString() : "",
    });
  }
  return { files, truncated };
}

function joinPath(folder: string, name: string): string {
  if (folder === "/") return `/${name}`;
  if (folder === ".") return `./${name}`;
  return `${folder.replace(/\/+$/, "")}/${name}`;
}

const fileTypeBits = 0o170000;

function typeOf(mode: number): string {
  switch (mode & fileTypeBits) {
    case 0o100000:
      return "file";
    case 0o040000:
      return "dir";
    case 0o120000:
      return "symbolic_link";
    default:
      return "other";
  }
}

/** "-rw-r--r--", as ls shows a mode. */
function permissionString(mode: number): string {
  const kind: Record<number, string> = { 0o100000: "-", 0o040000: "d", 0o120000: "l", 0o020000: "c", 0o060000: "b", 0o010000: "p", 0o140000: "s" };
  let text = kind[mode & fileTypeBits] ?? "?";
  const bits = "rwxrwxrwx";
  for (let i = 0; i < 9; i++) text += mode & (1 << (8 - i)) ? bits[i] : "-";
  const special = (position: number, flag: number, set: string, unset: string) => {
    if (!(mode & flag)) return;
    text = text.slice(0, position) + (text[position] === "-" ? unset : set) + text.slice(position + 1);
  };
  special(3, 0o4000, "s", "S");
  special(6, 0o2000, "s", "S");
  special(9, 0o1000, "t", "T");
  return text;
}
