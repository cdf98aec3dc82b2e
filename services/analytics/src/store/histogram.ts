/**
 * Latency histograms with fixed, log-scaled buckets: bucket 0 holds durations up to 0.1 ms,
 * bucket i holds (0.1·1.1^(i-1), 0.1·1.1^i] ms, the last one everything above (~347 s). Two
 * histograms merge by adding counts per bucket, so per-minute rollups add up to any interval.
 *
 * A percentile is found exactly by rank among the buckets and interpolated inside its bucket,
 * so it lies in the same bucket as the exact (nearest-rank) value: off by less than 10 % of it
 * (less than 0.1 ms at or under 0.1 ms).
 */
export const BASE_MS = 0.1;
export const GROWTH = 1.1;
export const BUCKETS = 160;

/** Sparse: bucket index → count. */
export type Histogram = Record<string, number>;

const LOG_GROWTH = Math.log(GROWTH);

export function bucketOf(ms: number): number {
  if (!(ms > BASE_MS)) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / BASE_MS) / LOG_GROWTH));
}

/** The same as bucketOf, in SQL, for a column of milliseconds (rollups built by PostgreSQL). */
export const BUCKET_SQL = (column: string) =>
  `case when ${column} <= ${BASE_MS} then 0 else least(${BUCKETS - 1}, ` +
  `ceil(ln(${column} / ${BASE_MS}::float8) / ln(${GROWTH}::float8))::int) end`;

export function addTo(into: Histogram, from: Histogram): Histogram {
  for (const key in from) into[key] = (into[key] ?? 0) + (from[key] ?? 0);
  return into;
}

export function histogramOf(durations: number[]): Histogram {
  const h: Histogram = {};
  for (const d of durations) {
    const b = bucketOf(d);
    h[b] = (h[b] ?? 0) + 1;
  }
  return h;
}

/** Estimates of the given percentiles (0–100), null for an empty histogram. */
export function percentiles(h: Histogram, ps: number[]): (number | null)[] {
  const buckets = Object.keys(h)
    .map(Number)
    .filter((b) => (h[b] ?? 0) > 0)
    .sort((a, b) => a - b);
  const total = buckets.reduce((n, b) => n + (h[b] ?? 0), 0);
  if (total === 0) return ps.map(() => null);
  return ps.map((p) => {
    // Nearest rank, as PostgreSQL's percentile_disc and InfluxDB's PERCENTILE define it.
    const rank = Math.max(1, Math.ceil((p / 100) * total));
    let before = 0;
    for (const b of buckets) {
      const n = h[b] ?? 0;
      if (before + n >= rank) return estimate(b, (rank - before - 0.5) / n);
      before += n;
    }
    return estimate(buckets.at(-1)!, 1);
  });
}

/** A point `fraction` of the way through bucket `b`, on a log scale (linear in bucket 0). */
function estimate(b: number, fraction: number): number {
  if (b === 0) return round(BASE_MS * fraction);
  const low = BASE_MS * GROWTH ** (b - 1);
  if (b === BUCKETS - 1) return round(low);
  return round(low * GROWTH ** fraction);
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
