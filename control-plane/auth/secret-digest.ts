import { createHash, timingSafeEqual } from "node:crypto";

export function sha256(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** Whether two secrets are equal; digests compared in constant time reveal neither length nor content. */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}
