/**
 * The few errors domain code throws. Each carries what a client needs to fix
 * its request; `errorInterceptor` maps them to Connect codes and the gateway to
 * HTTP statuses.
 */
export class DomainError extends Error {}

/** Bad input: names the field and the rule it broke. */
export class InvalidArgumentError extends DomainError {
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(`${field}: ${rule}`);
    this.name = "InvalidArgumentError";
  }
}

/** Several bad inputs at once. */
export class InvalidArgumentsError extends DomainError {
  constructor(readonly problems: InvalidArgumentError[]) {
    super(problems.map((p) => p.message).join("; "));
    this.name = "InvalidArgumentsError";
  }
}

export class NotFoundError extends DomainError {
  constructor(
    readonly kind: string,
    readonly id: string,
    /** What holds it, e.g. "volume 'v'" for a file. */
    where?: string,
  ) {
    super(`${kind} '${id}' not found${where ? ` in ${where}` : ""}`);
    this.name = "NotFoundError";
  }
}

export class AlreadyExistsError extends DomainError {
  constructor(
    readonly kind: string,
    readonly id: string,
  ) {
    super(`${kind} '${id}' already exists`);
    this.name = "AlreadyExistsError";
  }
}

export class PermissionDeniedError extends DomainError {
  constructor(message: string) {
    super(message);
    this.name = "PermissionDeniedError";
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message: string) {
    super(message);
    this.name = "UnauthenticatedError";
  }
}

/** The object is in use by others (pods, other templates) and so cannot go or change; 409, the message naming them. */
export class ConflictError extends DomainError {
  constructor(message: string) {
    super(message);
    this.name = "ConflictError";
  }
}

/** The request is valid but the object's state does not allow it now. */
export class FailedPreconditionError extends DomainError {
  constructor(message: string) {
    super(message);
    this.name = "FailedPreconditionError";
  }
}

/** A dependency (database, broker) cannot be reached; the client may retry. */
export class UnavailableError extends DomainError {
  constructor(message: string) {
    super(message);
    this.name = "UnavailableError";
  }
}

/** Collects InvalidArgumentErrors and throws them together. */
export class ProblemList {
  constructor(
    readonly problems: InvalidArgumentError[] = [],
    private readonly prefix = "",
  ) {}

  add(field: string, rule: string): void {
    this.problems.push(new InvalidArgumentError(this.prefix + field, rule));
  }

  /** A view that records into this list with `prefix` before every field name. */
  under(prefix: string): ProblemList {
    return new ProblemList(this.problems, this.prefix + prefix);
  }

  throwIfAny(): void {
    if (this.problems.length === 1) throw this.problems[0];
    if (this.problems.length > 1) throw new InvalidArgumentsError(this.problems);
  }
}

/** The request would exceed a size limit (an upload past a volume's size_limit); the message gives the numbers. */
export class TooLargeError extends DomainError {
  constructor(message: string) {
    super(message);
    this.name = "TooLargeError";
  }
}

/** What went wrong with a file operation on the cluster's storage. */
export type StorageProblemKind = "invalid-path" | "not-found" | "is-folder" | "not-folder" | "too-large" | "range-not-satisfiable" | "disk";

/**
 * A file operation of the agent failed. Services turn it into the client's
 * terms (naming the field and the object); one that reaches the client as
 * it is still gets the status its kind deserves.
 */
export class StorageFailedError extends DomainError {
  constructor(
    readonly problem: StorageProblemKind,
    readonly detail: string,
    /** For "range-not-satisfiable": the file's size. */
    readonly fileSize?: number,
  ) {
    super(detail);
    this.name = "StorageFailedError";
  }
}

/** No byte of a file satisfies the range a download asked for (HTTP 416); `size` is the file's. */
export class RangeNotSatisfiableError extends DomainError {
  constructor(
    message: string,
    readonly size: number,
  ) {
    super(message);
    this.name = "RangeNotSatisfiableError";
  }
}

/** A capability this installation does not offer yet. */
/** A position (a revision, a page) outside what the service still has. */
export class OutOfRangeError extends DomainError {
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(`${field}: ${rule}`);
    this.name = "OutOfRangeError";
  }
}

export class UnimplementedError extends DomainError {
  constructor(message: string) {
    super(message);
    this.name = "UnimplementedError";
  }
}

/** Work ran but did not succeed (a command exited non-zero); the message says which and how. */
export class CommandFailedError extends DomainError {
  constructor(message: string) {
    super(message);
    this.name = "CommandFailedError";
  }
}
