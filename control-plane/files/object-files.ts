import type { FileInfo } from "../../gen/tapis/pods/v1/common_pb.js";
import type { Download } from "../agents/agent-sessions.js";
import { sendPieces } from "../agents/agent-sessions.js";
import { FailedPreconditionError, InvalidArgumentError, ProblemList } from "../errors/domain-errors.js";
import { downloadConditions, type RequestedConditions } from "./download-conditions.js";
import { inClientTerms } from "./storage-failures.js";
import type { ObjectOnCluster, StorageFiles } from "./storage-files.js";
import { mebibyte, type StorageObjectRecord } from "./storage-object.js";
import { storagePathOf } from "./storage-rules.js";

/** One message of an upload: the first names the object and the path, each may carry bytes. */
export interface FilePiece {
  path: string;
  file: Uint8Array;
}

/**
 * The files of a volume or snapshot as clients reach them: listed,
 * downloaded (a file, or a zip built on the fly), uploaded (volumes only).
 * Paths come from URLs, so a leading "/" (possible only %2F-encoded) is
 * refused as a host path; the agent resolves the rest inside the object.
 */
export class ObjectFiles {
  constructor(private readonly files: StorageFiles) {}

  async list(object: ObjectOnCluster, record: StorageObjectRecord, clientRequestId: string): Promise<{ files: FileInfo[]; truncated: boolean }> {
    ready(object, record);
    try {
      return await this.files.list(object, clientRequestId);
    } catch (error) {
      throw inClientTerms(error, { field: "path", kind: object.kind, id: object.id, path: "" });
    }
  }

  /**
   * A file, or a zip of a file or folder. The file's conditions (Range,
   * If-Range, If-None-Match) go to the agent, which applies them to the
   * version of the file it opens; a zip is always sent whole.
   */
  async download(object: ObjectOnCluster, record: StorageObjectRecord, path: string, zip: boolean, requested: RequestedConditions, clientRequestId: string): Promise<Download> {
    const problems = new ProblemList();
    const parts = storagePathOf("path", path, "refuse", object.kind, problems);
    problems.throwIfAny();
    if (parts!.length === 0) throw new InvalidArgumentError("path", "must name a file or folder, not be empty or '/'");
    ready(object, record);
    try {
      return await this.files.download(object, parts!.join("/"), zip, zip ? { ifNoneMatch: [] } : downloadConditions(requested), clientRequestId);
    } catch (error) {
      throw inClientTerms(error, { field: "path", kind: object.kind, id: object.id, path: parts!.join("/") });
    }
  }

  /**
   * Streams an upload into the object, piece by piece; the object may hold
   * at most its size_limit with the new file. Resolves with where it went,
   * what was written and the bytes the object holds now.
   */
  async upload(object: ObjectOnCluster, record: StorageObjectRecord, first: FilePiece, rest: AsyncIterator<FilePiece>, clientRequestId: string): Promise<{ path: string; bytes: number; objectBytes: number }> {
    const problems = new ProblemList();
    const parts = storagePathOf("path", first.path, "refuse", object.kind, problems);
    problems.throwIfAny();
    if (parts!.length === 0) throw new InvalidArgumentError("path", "must name a file, not be empty or '/'");
    ready(object, record);
    const path = parts!.join("/");
    try {
      const stream = await this.files.upload(object, path, record.sizeLimitMb * mebibyte, clientRequestId);
      const result = await sendPieces(stream, first, rest, (piece) => piece.file);
      return { path, ...result };
    } catch (error) {
      throw inClientTerms(error, { field: "path", kind: object.kind, id: object.id, path });
    }
  }
}

/** Files exist once the object's folder does. */
function ready(object: ObjectOnCluster, record: StorageObjectRecord): void {
  if (record.status !== "AVAILABLE") {
    const reason = record.statusReason ? ` (${record.statusReason})` : "";
    throw new FailedPreconditionError(`${object.kind} '${object.id}' is ${record.status}${reason}; its files can be reached once it is AVAILABLE`);
  }
}
