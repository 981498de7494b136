import { StorageProblem } from "../../gen/tapis/pods/v1/agent_service_pb.js";

/** A file operation that failed for a reason the client can act on; `problem` says which kind. */
export class StorageError extends Error {
  constructor(
    readonly problem: StorageProblem,
    message: string,
    /** For a range past a file's end: the file's size. */
    readonly fileSize?: number,
  ) {
    super(message);
    this.name = "StorageError";
  }
}

export const invalidPath = (message: string) => new StorageError(StorageProblem.INVALID_PATH, message);
export const notFound = (message: string) => new StorageError(StorageProblem.NOT_FOUND, message);
export const isFolder = (message: string) => new StorageError(StorageProblem.IS_FOLDER, message);
export const notFolder = (message: string) => new StorageError(StorageProblem.NOT_FOLDER, message);
export const tooLarge = (message: string) => new StorageError(StorageProblem.TOO_LARGE, message);
export const rangeNotSatisfiable = (message: string, fileSize: number) => new StorageError(StorageProblem.RANGE_NOT_SATISFIABLE, message, fileSize);

/** How a failure is reported: a StorageError as it is, anything else as a failure of the disk. */
export function storageFailure(error: unknown): { problem: StorageProblem; message: string; fileSize?: number } {
  if (error instanceof StorageError) return { problem: error.problem, message: error.message, ...(error.fileSize !== undefined ? { fileSize: error.fileSize } : {}) };
  return { problem: StorageProblem.UNSPECIFIED, message: error instanceof Error ? error.message : String(error) };
}
