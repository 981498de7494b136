/** A Prometheus histogram as scraped: cumulative counts by upper bound (seconds), +Inf last. */
export interface Histogram {
  count: number;
  buckets: { le: number; count: number }[];
}

/** The histogram `name` (no labels) that the process at `baseUrl` serves at /metrics. */
export async function histogramOf(baseUrl: string, name: string): Promise<Histogram> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const buckets: { le: number; count: number }[] = [];
  let count = 0;
  for (const line of text.split("\n")) {
    const bucket = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`).exec(line);
    if (bucket) buckets.push({ le: bucket[1] === "+Inf" ? Number.POSITIVE_INFINITY : Number(bucket[1]), count: Number(bucket[2]) });
    const total = new RegExp(`^${name}_count (\\S+)$`).exec(line);
    if (total) count = Number(total[1]);
  }
  return { count, buckets: buckets.sort((a, b) => a.le - b.le) };
}

/** The q-quantile, interpolated linearly within its bucket (as Prometheus's histogram_quantile does). */
export function quantileOf(histogram: Histogram, q: number): number {
  const rank = q * histogram.count;
  let lower = 0;
  let below = 0;
  for (const bucket of histogram.buckets) {
    if (bucket.count >= rank) {
      if (!Number.isFinite(bucket.le)) return lower;
      const inBucket = bucket.count - below;
      return inBucket === 0 ? bucket.le : lower + ((bucket.le - lower) * (rank - below)) / inBucket;
    }
    lower = bucket.le;
    below = bucket.count;
  }
  return Number.NaN;
}
