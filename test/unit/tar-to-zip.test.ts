import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, type Writable } from "node:stream";
import { buffer } from "node:stream/consumers";

/** What the agent's converter offers (loaded at run time, so this test compiles before the converter exists). */
interface TarToZipApi {
  TarToZip: new (rootName: string) => { input: Writable; output: Readable; leftOut: string[]; finish(note?: string): void };
}

/** One tar header (ustar) and its data, padded to 512-byte blocks. */
function tarEntry(name: string, type: string, data: Buffer = Buffer.alloc(0), options: { linkName?: string; mode?: number; prefix?: string } = {}): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, "utf8");
  header.write(`${(options.mode ?? (type === "5" ? 0o755 : 0o644)).toString(8).padStart(7, "0")}\0`, 100, "ascii");
  header.write("0000000\0", 108, "ascii");
  header.write("0000000\0", 116, "ascii");
  header.write(`${data.length.toString(8).padStart(11, "0")}\0`, 124, "ascii");
  header.write(`${Math.floor(Date.parse("2025-05-05T05:05:05Z") / 1000).toString(8).padStart(11, "0")}\0`, 136, "ascii");
  header.write(type, 156, "ascii");
  if (options.linkName) header.write(options.linkName, 157, 100, "utf8");
  header.write("ustar\0", 257, "ascii");
  header.write("00", 263, "ascii");
  if (options.prefix) header.write(options.prefix, 345, 155, "utf8");
  header.write("        ", 148, "ascii");
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  const padding = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header, data, padding]);
}

/** A pax extended header record "<length> <key>=<value>\n". */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length = String(length).length + body.length;
  return `${length}${body}`;
}

async function zipEntries(zip: Buffer): Promise<{ names: string[]; read(name: string): Buffer; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "pods-tar-zip-"));
  const file = join(dir, "out.zip");
  await writeFile(file, zip);
  return {
    names: execFileSync("unzip", ["-Z1", file], { encoding: "utf8" }).trim().split("\n").sort(),
    read: (name) => execFileSync("unzip", ["-p", file, name], { maxBuffer: 64 * 1024 * 1024 }),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * A folder in a pod is read as a tar stream from the container and sent as
 * a zip built while it streams. The container is not trusted: entries that
 * could land outside the folder when unzipped, links and names an unzip
 * could misread are left out.
 */
describe("tar from a container to a zip", () => {
  let api: TarToZipApi;
  before(async () => {
    api = (await import("../../agent/files/tar-to-zip.js" as string)) as TarToZipApi;
  });

  it("keepsFilesAndFoldersUnderTheFoldersNameAndLeavesOutHostileEntries", async () => {
    const big = randomBytes(5 * 1024 * 1024 + 7);
    const longName = `./${"n".repeat(150)}.txt`;
    const tar = Buffer.concat([
      tarEntry("./", "5"),
      tarEntry("./a.txt", "0", Buffer.from("hello")),
      tarEntry("./sub/", "5"),
      tarEntry("./sub/big.bin", "0", big),
      tarEntry("././@LongLink", "L", Buffer.from(`${longName}\0`)),
      tarEntry(longName.slice(0, 99), "0", Buffer.from("long")),
      tarEntry("./PaxHeaders/x", "x", Buffer.from(paxRecord("path", "./pax-named.txt"))),
      tarEntry("./short-name-replaced", "0", Buffer.from("pax")),
      tarEntry("deep/file.txt", "0", Buffer.from("prefixed"), { prefix: "./sub" }),
      tarEntry("./../evil.txt", "0", Buffer.from("escape")),
      tarEntry("/etc/cron.d/evil", "0", Buffer.from("absolute")),
      tarEntry("./link", "2", Buffer.alloc(0), { linkName: "/etc/passwd" }),
      tarEntry("./hard", "1", Buffer.alloc(0), { linkName: "./a.txt" }),
      tarEntry("./back\\slash", "0", Buffer.from("windows reads a folder")),
      tarEntry("./new\nline", "0", Buffer.from("control")),
      Buffer.alloc(1024),
    ]);
    const converter = new api.TarToZip("tree");
    const zipped = buffer(converter.output);
    Readable.from([tar.subarray(0, 700), tar.subarray(700, 5000), tar.subarray(5000)]).pipe(converter.input);
    await new Promise((resolve) => converter.input.once("finish", resolve));
    converter.finish();
    const zip = await zipEntries(await zipped);
    try {
      assert.deepEqual(zip.names, [`tree/${"n".repeat(150)}.txt`, "tree/", "tree/a.txt", "tree/pax-named.txt", "tree/sub/", "tree/sub/big.bin", "tree/sub/deep/file.txt"].sort());
      assert.equal(zip.read("tree/a.txt").toString(), "hello");
      assert.ok(zip.read("tree/sub/big.bin").equals(big));
      assert.equal(zip.read("tree/pax-named.txt").toString(), "pax");
      assert.equal(zip.read("tree/sub/deep/file.txt").toString(), "prefixed");
    } finally {
      await zip.dispose();
    }
    assert.deepEqual(converter.leftOut.sort(), [
      "'../evil.txt' would land outside the folder",
      "'/etc/cron.d/evil' would land outside the folder",
      "'back\\slash' holds '\\', which other systems read as a separator",
      "'hard' is a link",
      "'link' is a link",
      "'new\\nline' holds control characters",
    ].sort());
  });

  it("addsAnEntrySayingWhatWentWrongWhenTheContainerReportsProblems", async () => {
    const converter = new api.TarToZip("tree");
    const zipped = buffer(converter.output);
    Readable.from([Buffer.concat([tarEntry("./", "5"), tarEntry("./ok.txt", "0", Buffer.from("ok")), Buffer.alloc(1024)])]).pipe(converter.input);
    await new Promise((resolve) => converter.input.once("finish", resolve));
    converter.finish("tar: ./secret: Cannot open: Permission denied\n");
    const zip = await zipEntries(await zipped);
    try {
      assert.deepEqual(zip.names, ["tree/", "tree/PODS-DOWNLOAD-ERRORS.txt", "tree/ok.txt"]);
      assert.equal(zip.read("tree/PODS-DOWNLOAD-ERRORS.txt").toString(), "The folder was read with errors; these files may be missing:\ntar: ./secret: Cannot open: Permission denied\n");
    } finally {
      await zip.dispose();
    }
  });

  it("failsTheZipOnATarThatIsNotOne", async () => {
    const converter = new api.TarToZip("tree");
    const zipped = buffer(converter.output);
    const failed = new Promise<Error>((resolve) => converter.input.once("error", resolve));
    converter.input.end(Buffer.alloc(512, 0x41));
    assert.match((await failed).message, /not a tar header/);
    await assert.rejects(zipped);
  });
});
