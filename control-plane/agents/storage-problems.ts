import { StorageProblem } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { StorageFailedError, type StorageProblemKind } from "../errors/domain-errors.js";

const kinds: Record<StorageProblem, StorageProblemKind> = {
  [StorageProblem.UNSPECIFIED]: "disk",
  [StorageProblem.INVALID_PATH]: "invalid-path",
  [StorageProblem.NOT_FOUND]: "not-found",
  [StorageProblem.IS_FOLDER]: "is-folder",
  [StorageProblem.NOT_FOLDER]: "not-folder",
  [StorageProblem.TOO_LARGE]: "too-large",
  [StorageProblem.RANGE_NOT_SATISFIABLE]: "range-not-satisfiable",
};

const problems = Object.fromEntries(Object.entries(kinds).map(([problem, kind]) => [kind, Number(problem)])) as Record<StorageProblemKind, StorageProblem>;

/** The error of an agent's failed file operation, as the control plane's services handle it; `fileSize` for a range past a file's end. */
export function storageFailed(problem: StorageProblem, detail: string, fileSize?: bigint): StorageFailedError {
  const kind = kinds[problem] ?? "disk";
  return new StorageFailedError(kind, detail, kind === "range-not-satisfiable" ? Number(fileSize ?? 0n) : undefined);
}

/** The wire form of a failure's kind, to hand it on to another replica. */
export function problemOf(kind: StorageProblemKind): StorageProblem {
  return problems[kind];
}
