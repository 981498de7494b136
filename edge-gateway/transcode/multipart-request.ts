import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { ScalarType, type DescField } from "@bufbuild/protobuf";
import busboy from "busboy";
import { decodeTextField, RequestShapeError } from "../../shared/rest-json/rest-json-decoder.js";
import type { Route } from "../routing/route-table.js";
import { BodyError } from "../http/json-body.js";

type Init = Record<string, unknown>;

const maxFieldBytes = 64 * 1024;
const maxParts = 32;
const maxProblems = 20;
const chunkBytes = 256 * 1024;

/** A parsed multipart upload: the first message's fields and the spooled file. */
export interface MultipartUpload {
  first: Init;
  /** The request's bytes field the file fills. */
  fileField: DescField;
  spoolFile: string | null;
  dispose(): Promise<void>;
}

/**
 * Parses a multipart/form-data upload for a client-streaming RPC. The part
 * named like the request's bytes field is the file; every other part (plain
 * or file-style, as some SDKs send strings) fills the field of its name.
 * The file is spooled to a temporary file while parsing, so form fields may
 * come before or after it and memory stays flat whatever the file's size.
 */
export async function parseMultipart(
  req: IncomingMessage,
  route: Route,
  base: Init,
  { maxFileBytes, spoolDir }: { maxFileBytes: number; spoolDir: string },
): Promise<MultipartUpload> {
  const input = route.method.input;
  const fileField = input.fields.find((f) => f.fieldKind === "scalar" && f.scalar === ScalarType.BYTES);
  if (!fileField) throw new Error(`${route.method.name} has no bytes field to upload into`);
  await mkdir(spoolDir, { recursive: true });
  const dir = await mkdtemp(join(spoolDir, "pods-upload-"));
  const spoolPath = join(dir, "file");
  const problems: string[] = [];
  const problem = (text: string) => {
    if (problems.length < maxProblems) problems.push(text);
  };
  const first: Init = { ...base };
  let spooled: Promise<void> | null = null;

  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    await new Promise<void>((resolve, reject) => {
      let parser: busboy.Busboy;
      try {
        parser = busboy({ headers: req.headers, limits: { fieldSize: maxFieldBytes, fileSize: maxFileBytes, parts: maxParts } });
      } catch (error) {
        reject(new BodyError(400, `not a multipart/form-data body: ${error instanceof Error ? error.message : String(error)}`));
        return;
      }
      parser.on("field", (name, value) => assignField(name, value));
      parser.on("file", (name, stream) => {
        if (name === fileField.name) {
          if (spooled) {
            problem(`${name}: given more than once`);
            stream.resume();
            return;
          }
          stream.once("limit", () => reject(new BodyError(413, `${name}: larger than ${maxFileBytes} bytes`)));
          spooled = pipeline(stream, createWriteStream(spoolPath));
          spooled.catch(reject);
          return;
        }
        const parts: Buffer[] = [];
        let size = 0;
        stream.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size <= maxFieldBytes) parts.push(chunk);
        });
        stream.on("end", () => (size > maxFieldBytes ? problem(`${name}: longer than ${maxFieldBytes} bytes`) : assignField(name, Buffer.concat(parts).toString("utf8"))));
      });
      parser.on("partsLimit", () => reject(new BodyError(413, `more than ${maxParts} form parts`)));
      parser.on("error", (error: Error) => reject(new BodyError(400, `malformed multipart body: ${error.message}`)));
      parser.on("close", () => resolve());
      // A client that goes away mid-upload must not leave the parse waiting forever.
      req.once("close", () => {
        if (!req.complete) reject(new BodyError(400, "the upload was interrupted"));
      });
      req.pipe(parser);
    });
    if (spooled) await spooled;
    if (!spooled) problem(`${fileField.name}: the form must include a file part named '${fileField.name}'`);
    if (problems.length > 0) throw new RequestShapeError(problems);
    return { first, fileField, spoolFile: spooled ? spoolPath : null, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }

  function assignField(name: string, value: string): void {
    const field = input.fields.find((f) => f.name === name);
    if (!field || field === fileField || route.template.variables().includes(name)) {
      problem(`${name}: unknown form field`);
      return;
    }
    const decoded = decodeTextField(field, value, name, problems);
    if (decoded !== undefined) first[field.localName] = decoded;
  }
}

/** The stream of request messages: fields first, then the file in chunks. */
export async function* uploadMessages(upload: MultipartUpload): AsyncIterable<Init> {
  yield upload.first;
  if (!upload.spoolFile) return;
  for await (const chunk of createReadStream(upload.spoolFile, { highWaterMark: chunkBytes })) {
    yield { [upload.fileField.localName]: chunk as Buffer };
  }
}
