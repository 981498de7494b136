/** True when a write failed because the primary or a unique key already exists. */
export function isDuplicateKeyError(error: unknown): boolean {
  const { code, driverError } = error as { code?: string; driverError?: { code?: string } };
  const codes = [code, driverError?.code];
  return codes.some((c) => c === "ER_DUP_ENTRY" || c === "SQLITE_CONSTRAINT_PRIMARYKEY" || c === "SQLITE_CONSTRAINT_UNIQUE");
}
