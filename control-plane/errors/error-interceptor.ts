import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { RangeNotSatisfiableSchema } from "../../gen/tapis/pods/v1/common_pb.js";
import type { Logger } from "../../shared/logging/logger.js";
import { metadataNames } from "../../shared/rpc/metadata.js";
import {
  AlreadyExistsError,
  CommandFailedError,
  ConflictError,
  DomainError,
  FailedPreconditionError,
  InvalidArgumentError,
  InvalidArgumentsError,
  NotFoundError,
  OutOfRangeError,
  PermissionDeniedError,
  RangeNotSatisfiableError,
  StorageFailedError,
  TooLargeError,
  UnauthenticatedError,
  UnavailableError,
  UnimplementedError,
} from "./domain-errors.js";

const storageCodes: Record<StorageFailedError["problem"], Code> = {
  "invalid-path": Code.InvalidArgument,
  "not-found": Code.NotFound,
  "is-folder": Code.InvalidArgument,
  "not-folder": Code.InvalidArgument,
  "too-large": Code.ResourceExhausted,
  "range-not-satisfiable": Code.OutOfRange,
  disk: Code.Unavailable,
};

/** Connect code for each domain error; anything unknown becomes Internal. */
export function toConnectError(error: unknown, logger: Logger, procedure: string, requestId?: string): ConnectError {
  if (error instanceof ConnectError) return error;
  // The size travels as a detail: REST answers it in Content-Range, gRPC clients read it from there.
  if (error instanceof RangeNotSatisfiableError) return new ConnectError(error.message, Code.OutOfRange, undefined, [{ desc: RangeNotSatisfiableSchema, value: { size: BigInt(error.size) } }]);
  if (error instanceof DomainError) return new ConnectError(error.message, codeOf(error));
  const id = Math.random().toString(36).slice(2, 10);
  logger.error("unexpected error", { procedure, errorId: id, request_id: requestId, error });
  return new ConnectError(`internal error (reference ${id})`, Code.Internal);
}

function codeOf(error: DomainError): Code {
  if (error instanceof InvalidArgumentError || error instanceof InvalidArgumentsError) return Code.InvalidArgument;
  if (error instanceof NotFoundError) return Code.NotFound;
  if (error instanceof AlreadyExistsError) return Code.AlreadyExists;
  if (error instanceof PermissionDeniedError) return Code.PermissionDenied;
  if (error instanceof UnauthenticatedError) return Code.Unauthenticated;
  if (error instanceof FailedPreconditionError) return Code.FailedPrecondition;
  if (error instanceof UnavailableError) return Code.Unavailable;
  if (error instanceof UnimplementedError) return Code.Unimplemented;
  if (error instanceof OutOfRangeError) return Code.OutOfRange;
  if (error instanceof CommandFailedError || error instanceof ConflictError) return Code.Aborted;
  if (error instanceof TooLargeError) return Code.ResourceExhausted;
  if (error instanceof StorageFailedError) return storageCodes[error.problem];
  return Code.Internal;
}

/**
 * Converts whatever a handler throws into a ConnectError. Unknown errors are
 * logged with their cause and answered with a generic message, never the cause.
 */
export function createErrorInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    const procedure = `${req.service.typeName}/${req.method.name}`;
    const requestId = req.header.get(metadataNames.requestId) ?? undefined;
    try {
      const res = await next(req);
      if (!res.stream) return res;
      return { ...res, message: convertStreamErrors(res.message, logger, procedure, requestId) };
    } catch (error) {
      throw toConnectError(error, logger, procedure, requestId);
    }
  };
}

async function* convertStreamErrors<T>(source: AsyncIterable<T>, logger: Logger, procedure: string, requestId: string | undefined): AsyncIterable<T> {
  try {
    yield* source;
  } catch (error) {
    throw toConnectError(error, logger, procedure, requestId);
  }
}
