import type { Route } from "./route-table.js";

/**
 * How long to wait for the control plane on `route` with request `input`: the
 * method's own limit plus its margin where its call_deadline option names
 * one (an exec runs for as long as asked), else `fallbackMs`.
 */
export function deadlineMs(route: Route, input: Record<string, unknown>, fallbackMs: number): number {
  const rule = route.callDeadline;
  if (!rule) return fallbackMs;
  const field = route.method.input.fields.find((f) => f.name === rule.secondsField);
  const asked = field ? input[field.localName] : undefined;
  const seconds = typeof asked === "number" && asked > 0 ? asked : rule.defaultSeconds;
  return (seconds + rule.marginSeconds) * 1000;
}
