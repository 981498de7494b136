/** The key failed attempts from `address` are counted under. */
export function attemptKeyOf(address: string): string {
  return address;
}
