import { FailedPreconditionError } from "./domain-errors.js";

/**
 * Refuses an update that changes nothing: clients that script against the
 * service must learn that their PUT had no effect, not read "updated".
 * `given` are the fields the request named, `changed` those whose value differs.
 */
export function refuseUnchanged(kind: string, id: string, given: readonly string[], changed: readonly string[]): void {
  if (changed.length > 0) return;
  const why = given.length === 0 ? "the request names no field to change" : `${given.join(", ")} already hold${given.length === 1 ? "s" : ""} the values given`;
  throw new FailedPreconditionError(`${kind} '${id}' is unchanged: ${why}`);
}

/** The names of the fields whose value is given (not undefined), in order. */
export function presentFields(fields: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([name]) => name);
}
