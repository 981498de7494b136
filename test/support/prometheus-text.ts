import { execFile } from "node:child_process";
import { promisify } from "node:util";

/** One metric family as the official Prometheus Python client parses it. */
export interface MetricFamily {
  name: string;
  type: string;
  /** null for NaN (a gauge with nothing measured yet). */
  samples: { name: string; labels: Record<string, string>; value: number | null }[];
}

export const prometheusClientRequirement = "prometheus-client==0.26.0";

const parser = `
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families
number = lambda v: None if math.isnan(v) else v
families = [{"name": f.name, "type": f.type, "samples": [{"name": s.name, "labels": s.labels, "value": number(s.value)} for s in f.samples]}
            for f in text_string_to_metric_families(sys.stdin.read())]
print(json.dumps(families))
`;

/** Parses Prometheus text exposition format with the official Python client's parser; throws on malformed input. */
export async function parsePrometheusText(python: string, text: string): Promise<MetricFamily[]> {
  const child = promisify(execFile)(python, ["-c", parser], { maxBuffer: 64 * 1024 * 1024 });
  child.child.stdin!.end(text);
  return JSON.parse((await child).stdout) as MetricFamily[];
}
