import { InvalidArgumentError, NotFoundError, RangeNotSatisfiableError, StorageFailedError, TooLargeError, UnavailableError } from "../errors/domain-errors.js";
import type { StorageObjectKind } from "./storage-object.js";

/** What a file operation was about, to tell the client which field and object a failure concerns. */
export interface FailureContext {
  /** The request field that named the path. */
  field: string;
  kind: StorageObjectKind;
  id: string;
  path: string;
}

/** An agent's refusal in the client's terms (400 naming the field, 404, 413 with the numbers, 416 with the size); other errors as they are. */
export function inClientTerms(error: unknown, context: FailureContext): unknown {
  if (!(error instanceof StorageFailedError)) return error;
  const object = `${context.kind} '${context.id}'`;
  switch (error.problem) {
    case "invalid-path":
    case "not-folder":
    case "is-folder":
      return new InvalidArgumentError(context.field, error.detail);
    case "not-found":
      return new NotFoundError("file", context.path, object);
    case "too-large":
      return new TooLargeError(`the upload does not fit in ${object}: ${error.detail}`);
    case "range-not-satisfiable":
      return new RangeNotSatisfiableError(`range: no byte of '${context.path}' in ${object} satisfies it; the file holds ${error.fileSize ?? 0} bytes`, error.fileSize ?? 0);
    case "disk":
      return new UnavailableError(`the cluster's storage failed: ${error.detail}`);
  }
}
