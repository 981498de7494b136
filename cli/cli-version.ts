import { readFileSync } from "node:fs";

/** The package's version, read from package.json beside dist/. */
export function cliVersion(): string {
  try {
    const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
    return (JSON.parse(text) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}
