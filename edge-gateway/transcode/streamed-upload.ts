import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { ScalarType, type DescField } from "@bufbuild/protobuf";
import busboy from "busboy";
import { RequestShapeError } from "../../shared/rest-json/rest-json-decoder.js";
import { BodyError } from "../http/json-body.js";
import type { Route } from "../routing/route-table.js";

type Init = Record<string, unknown>;

const maxParts = 32;
/** Bytes of the file one message carries to the service. */
const pieceBytes = 1024 * 1024;

/**
 * True when the route's form can hold nothing but the file (every other
 * field of its request is bound by the path, as for a volume upload): then
 * nothing can follow the file that the first message would need, and the
 * file can go to the service as it arrives instead of being spooled first.
 */
export function formHoldsOnlyTheFile(route: Route): boolean {
  const bound = new Set(route.template.variables());
  const fields = route.method.input.fields;
  return fields.filter((f) => !bound.has(f.name) && !isBytes(f)).length === 0 && fields.some(isBytes);
}

function isBytes(field: DescField): boolean {
  return field.fieldKind === "scalar" && field.scalar === ScalarType.BYTES;
}

/**
 * Reads a multipart upload whose form holds only the file and streams it:
 * resolves once the file part begins (a form without one, or with another
 * part first, is refused before the service is called) with the request
 * messages — `base`, then the file in pieces as the client sends them, read
 * only as fast as the service takes them. A part after the file, or a file
 * past `maxFileBytes`, fails the stream.
 */
export function streamMultipartFile(req: IncomingMessage, route: Route, base: Init, { maxFileBytes }: { maxFileBytes: number }): Promise<AsyncIterable<Init>> {
  const fileField = route.method.input.fields.find(isBytes)!;
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fileSize: maxFileBytes, parts: maxParts } });
    } catch (error) {
      reject(new BodyError(400, `not a multipart/form-data body: ${error instanceof Error ? error.message : String(error)}`));
      return;
    }
    let file: Readable | null = null;
    let failure: Error | null = null;
    const closed = new Promise<void>((done) => parser.once("close", () => done()));
    const fail = (error: Error) => {
      failure ??= error;
      if (file) file.destroy(error);
      else reject(error);
    };
    parser.on("field", (name) => fail(new RequestShapeError([`${name}: unknown form field`])));
    parser.on("file", (name, stream) => {
      if (name !== fileField.name || file) {
        stream.resume();
        fail(new RequestShapeError([file ? `${name}: no form part may follow the file` : `${name}: unknown form field`]));
        return;
      }
      file = stream;
      stream.once("limit", () => fail(new BodyError(413, `${name}: larger than ${maxFileBytes} bytes`)));
      resolve(messages(stream));
    });
    parser.on("partsLimit", () => fail(new BodyError(413, `more than ${maxParts} form parts`)));
    parser.on("error", (error: Error) => fail(new BodyError(400, `malformed multipart body: ${error.message}`)));
    parser.once("close", () => {
      if (!file) reject(new RequestShapeError([`${fileField.name}: the form must include a file part named '${fileField.name}'`]));
    });
    req.once("close", () => {
      if (!req.complete) fail(new BodyError(400, "the upload was interrupted"));
    });
    req.pipe(parser);

    async function* messages(stream: Readable): AsyncIterable<Init> {
      yield base;
      // The socket's reads are small (about 64 KiB); fewer, larger messages cost every hop less.
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      for await (const chunk of stream) {
        pending.push(chunk as Buffer);
        pendingBytes += (chunk as Buffer).length;
        if (pendingBytes < pieceBytes) continue;
        yield { [fileField.localName]: Buffer.concat(pending, pendingBytes) };
        pending = [];
        pendingBytes = 0;
      }
      if (pendingBytes > 0) yield { [fileField.localName]: Buffer.concat(pending, pendingBytes) };
      await closed;
      if (failure) throw failure;
    }
  });
}
