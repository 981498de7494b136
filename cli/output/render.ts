import { stringify } from "yaml";

export const outputFormats = ["table", "json", "yaml"] as const;
export type OutputFormat = (typeof outputFormats)[number];

/**
 * `data` as the format asks: JSON or YAML of the service's result as it is
 * (for scripts), or the text `table` makes of it (for people).
 */
export function render(format: OutputFormat, data: unknown, table: () => string): string {
  if (format === "json") return `${JSON.stringify(data, null, 2)}\n`;
  if (format === "yaml") return stringify(data);
  const text = table();
  return text.endsWith("\n") || text === "" ? text : `${text}\n`;
}
