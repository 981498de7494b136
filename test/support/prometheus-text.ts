import { createRequire } from "node:module";

/** One metric family as parse-prometheus-text-format gives it. */
export interface MetricFamily {
  name: string;
  help: string;
  type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
  metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }[];
}

const parse = createRequire(import.meta.url)("parse-prometheus-text-format") as (text: string) => MetricFamily[];

/** Parses Prometheus text exposition format; throws on malformed input. */
export function parsePrometheusText(text: string): MetricFamily[] {
  return parse(text);
}
