import type { ProblemList } from "../errors/domain-errors.js";

/** Secret ids, as `${secret:<owner>:<id>}` references name them. */
export const secretIdPattern = /^[A-Za-z0-9_-]{1,100}$/;
export const maxSecretValueBytes = 64 * 1024;
const maxDescription = 500;

/** A new secret as the request gives it; unset optional fields take their defaults. */
export interface NewSecret {
  secretId: string;
  secretValue: string;
  scope?: string;
  podId?: string;
  description: string;
  readable?: boolean;
  writable?: boolean;
}

export function validateNewSecret(secret: NewSecret, problems: ProblemList): void {
  if (!secretIdPattern.test(secret.secretId)) problems.add("secret_id", `must be 1-100 letters, digits, '_' and '-' (got ${JSON.stringify(secret.secretId)})`);
  if (secret.secretValue === "") problems.add("secret_value", "is required");
  else validateSecretValue(secret.secretValue, problems);
  const scope = secret.scope ?? "user";
  if (scope !== "user" && scope !== "pod") problems.add("scope", "must be user or pod");
  if (scope === "pod" && !secret.podId) problems.add("pod_id", "is required when scope is pod");
  if (scope === "user" && secret.podId) problems.add("pod_id", "must not be set when scope is user");
  validateSecretDescription(secret.description, problems);
}

export function validateSecretValue(value: string, problems: ProblemList): void {
  if (value === "") problems.add("secret_value", "must not be empty");
  if (Buffer.byteLength(value) > maxSecretValueBytes) problems.add("secret_value", `must be at most ${maxSecretValueBytes} bytes`);
}

export function validateSecretDescription(description: string, problems: ProblemList): void {
  if (description.length > maxDescription) problems.add("description", `must be at most ${maxDescription} characters`);
  // eslint-disable-next-line no-control-regex
  if (!/^[\x00-\x7F]*$/.test(description)) problems.add("description", "must be ASCII");
}
