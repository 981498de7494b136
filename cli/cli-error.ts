import { ExitCode, exitCodeOfStatus } from "./exit-codes.js";

/**
 * A failure the CLI reports as one message on stderr (none when empty),
 * ending with `exitCode`: one of ExitCode, or an attached exec's own.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode | number,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** The command line or a local file is wrong. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** The service answered with an error status; `message` is the service's own. */
export class ServiceError extends CliError {
  constructor(
    readonly status: number,
    readonly serviceMessage: string,
    hint = "",
  ) {
    super(`${serviceMessage} (HTTP ${status})${hint ? `\n${hint}` : ""}`, exitCodeOfStatus(status));
  }
}

/** The service could not be reached, or the connection broke. */
export class UnreachableError extends CliError {
  constructor(url: string, cause: unknown) {
    super(`cannot reach ${url}: ${describeCause(cause)}`, ExitCode.unavailable);
  }
}

/** The most specific reason a network failure gives (fetch hides it in `cause`). */
export function describeCause(error: unknown): string {
  let current: unknown = error;
  let text = "";
  while (current instanceof Error) {
    const code = (current as NodeJS.ErrnoException).code;
    text = code && !current.message.includes(code) ? `${current.message} (${code})` : current.message;
    current = current.cause;
  }
  return text || String(error);
}
