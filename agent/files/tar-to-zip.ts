import { once } from "node:events";
import { PassThrough, Writable, type Readable } from "node:stream";
import { ZipFile } from "yazl";
import { zipEntryProblem } from "../../shared/storage/storage-paths.js";

const block = 512;
/** The note a zip gets when the container could not read all of the folder. */
export const problemsEntryName = "PODS-DOWNLOAD-ERRORS.txt";

/** A tar header, with the long names of the entries before it (GNU, pax) applied. */
interface TarHeader {
  name: string;
  type: string;
  size: number;
  mode: number;
  mtime: Date;
}

/**
 * Turns a tar stream (a folder as a container's `tar -cf - -C <folder> .`
 * writes it) into a zip built while it streams, every entry under
 * `<rootName>/`. The container is not trusted: entries that would land
 * outside the folder when unzipped, links, devices and names an unzip could
 * misread are left out (`leftOut` says which and why). File data passes
 * through with backpressure: the tar is read no faster than the zip is.
 * Write the tar to `input`; once it has ended, `finish()` ends the zip.
 */
export class TarToZip {
  readonly input: Writable;
  readonly output: Readable;
  readonly leftOut: string[] = [];
  private readonly zip = new ZipFile();
  private pending = Buffer.alloc(0);
  private header: TarHeader | null = null;
  /** Bytes of the current entry's data (then padding) still to come. */
  private remaining = 0;
  private padding = 0;
  /** Where the current entry's data goes: a zip entry, a long name being read, or nowhere. */
  private sink: PassThrough | { text: Buffer[]; kind: "L" | "x" } | null = null;
  private longName: string | null = null;
  private paxPath: string | null = null;
  private ended = false;

  constructor(private readonly rootName: string) {
    this.output = this.zip.outputStream as Readable;
    this.zip.addEmptyDirectory(`${rootName}/`);
    this.input = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        this.take(chunk).then(
          () => callback(),
          (error: unknown) => {
            const failure = error instanceof Error ? error : new Error(String(error));
            this.output.destroy(failure);
            callback(failure);
          },
        );
      },
      final: (callback) => {
        if (this.ended || (this.remaining === 0 && this.padding === 0 && this.pending.length === 0 && this.sink === null)) return callback();
        const failure = new Error("the container's tar stream ended in the middle of an entry");
        this.output.destroy(failure);
        callback(failure);
      },
    });
  }

  /** Ends the zip; `problems` (what the container reported) becomes a last entry when given. */
  finish(problems?: string): void {
    if (problems) {
      const text = `The folder was read with errors; these files may be missing:\n${problems}`;
      this.zip.addBuffer(Buffer.from(text), `${this.rootName}/${problemsEntryName}`);
    }
    this.zip.end();
  }

  private async take(chunk: Buffer): Promise<void> {
    let data = chunk;
    while (data.length > 0) {
      if (this.ended) return;
      if (this.remaining > 0) {
        const part = data.subarray(0, this.remaining);
        data = data.subarray(part.length);
        this.remaining -= part.length;
        await this.pass(part);
        if (this.remaining === 0) this.endEntry();
        continue;
      }
      if (this.padding > 0) {
        const skipped = Math.min(this.padding, data.length);
        this.padding -= skipped;
        data = data.subarray(skipped);
        continue;
      }
      const needed = block - this.pending.length;
      this.pending = Buffer.concat([this.pending, data.subarray(0, needed)]);
      data = data.subarray(needed);
      if (this.pending.length < block) return;
      const raw = this.pending;
      this.pending = Buffer.alloc(0);
      this.startEntry(raw);
    }
  }

  private startEntry(raw: Buffer): void {
    if (raw.every((byte) => byte === 0)) {
      this.ended = true;
      return;
    }
    const header = parseHeader(raw);
    this.remaining = header.size;
    this.padding = (block - (header.size % block)) % block;
    if (header.type === "L" || header.type === "x") {
      this.sink = { text: [], kind: header.type };
    } else if (header.type === "K" || header.type === "g") {
      this.sink = null;
    } else {
      const name = this.paxPath ?? this.longName ?? header.name;
      this.paxPath = null;
      this.longName = null;
      this.sink = this.entryFor({ ...header, name });
    }
    if (this.remaining === 0) this.endEntry();
  }

  /** Adds the entry to the zip and returns where its data goes, or records why it is left out. */
  private entryFor(header: TarHeader): PassThrough | null {
    const relative = header.name.replace(/^(\.\/)+/, "").replace(/\/+$/, "");
    const isFolder = header.type === "5";
    if (relative === "" || relative === ".") return null;
    const shown = printable(relative);
    const leaveOut = (why: string) => {
      this.leftOut.push(`'${shown}' ${why}`);
      return null;
    };
    if (relative.startsWith("/") || relative.split("/").some((part) => part === ".." || part === "." || part === "")) {
      return leaveOut("would land outside the folder");
    }
    if (relative.includes("\\")) return leaveOut("holds '\\', which other systems read as a separator");
    if (zipEntryProblem(relative)) return leaveOut("holds control characters");
    if (header.type === "1" || header.type === "2") return leaveOut("is a link");
    const options = { mtime: header.mtime, mode: header.mode };
    if (isFolder) {
      this.zip.addEmptyDirectory(`${this.rootName}/${relative}/`, options);
      return null;
    }
    if (!["0", "\0", "7", ""].includes(header.type)) return leaveOut("is neither a file nor a folder");
    const data = new PassThrough({ highWaterMark: 1024 * 1024 });
    this.zip.addReadStream(data, `${this.rootName}/${relative}`, options);
    return data;
  }

  private async pass(part: Buffer): Promise<void> {
    const sink = this.sink;
    if (sink instanceof PassThrough) {
      if (!sink.write(part)) await once(sink, "drain");
    } else if (sink) {
      sink.text.push(part);
    }
  }

  private endEntry(): void {
    const sink = this.sink;
    this.sink = null;
    if (sink instanceof PassThrough) {
      sink.end();
    } else if (sink?.kind === "L") {
      this.longName = cString(Buffer.concat(sink.text));
    } else if (sink?.kind === "x") {
      this.paxPath = paxPathOf(Buffer.concat(sink.text)) ?? this.paxPath;
    }
  }
}

function parseHeader(raw: Buffer): TarHeader {
  const stored = octal(raw.subarray(148, 156));
  let sum = 0;
  for (let i = 0; i < block; i++) sum += i >= 148 && i < 156 ? 0x20 : raw[i]!;
  if (stored === null || stored !== sum) throw new Error("the container's output is not a tar stream: not a tar header");
  const name = cString(raw.subarray(0, 100));
  const ustar = raw.subarray(257, 262).toString("latin1") === "ustar";
  const prefix = ustar ? cString(raw.subarray(345, 500)) : "";
  return {
    name: prefix ? `${prefix}/${name}` : name,
    type: String.fromCharCode(raw[156]!),
    size: numeric(raw.subarray(124, 136)),
    mode: (octal(raw.subarray(100, 108)) ?? 0o644) & 0o7777,
    mtime: new Date((octal(raw.subarray(136, 148)) ?? 0) * 1000),
  };
}

/** A size field: octal, or base-256 (high bit set) for large files. */
function numeric(field: Buffer): number {
  if (field[0]! & 0x80) {
    let value = field[0]! & 0x7f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    return value;
  }
  const value = octal(field);
  if (value === null) throw new Error("the container's output is not a tar stream: a size is not a number");
  return value;
}

function octal(field: Buffer): number | null {
  const text = field.toString("latin1").replace(/\0.*$/s, "").trim();
  if (text === "") return 0;
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : null;
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end < 0 ? bytes.length : end).toString("utf8");
}

/** The path record of a pax extended header: records are "<length> <key>=<value>\n". */
function paxPathOf(data: Buffer): string | null {
  let path: string | null = null;
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const length = parseInt(data.subarray(at, space).toString("latin1"), 10);
    if (!Number.isInteger(length) || length <= 0) break;
    const record = data.subarray(space + 1, at + length - 1).toString("utf8");
    const equals = record.indexOf("=");
    if (equals > 0 && record.slice(0, equals) === "path") path = record.slice(equals + 1);
    at += length;
  }
  return path;
}

/** A name as it can be shown in one line: control characters escaped. */
function printable(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\x00-\x1f\x7f]/g, (c) => (c === "\n" ? "\\n" : c === "\t" ? "\\t" : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`));
}
