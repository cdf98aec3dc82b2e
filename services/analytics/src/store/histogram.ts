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

/** Counts indexed by bucket: adding many histograms into one is cheaper this way. */
export function addToCounts(into: Float64Array, from: Histogram): Float64Array {
  for (const key in from) into[Number(key)]! += from[key] ?? 0;
  return into;
}

export function fromCounts(counts: Float64Array): Histogram {
  const h: Histogram = {};
  for (let b = 0; b < counts.length; b += 1) if (counts[b]! > 0) h[b] = counts[b]!;
  return h;
}

export function histogramOf(durations: number[]): Histogram {
  const h: Histogram = {};
  for (const d of durations) {
    const b = bucketOf(d);
    h[b] = (h[b] ?? 0) + 1;
  }
  return h;
}

/**
 * Estimates of the given percentiles (0–100, ascending), null for an empty histogram. One pass:
 * integer-like keys of an object are enumerated in ascending numeric order (ECMAScript spec).
 */
export function percentiles(h: Histogram, ps: number[]): (number | null)[] {
  let total = 0;
  for (const key in h) total += h[key] ?? 0;
  const found: (number | null)[] = ps.map(() => null);
  if (total === 0) return found;
  // Nearest rank, as PostgreSQL's percentile_disc and InfluxDB's PERCENTILE define it.
  const ranks = ps.map((p) => Math.max(1, Math.ceil((p / 100) * total)));
  let before = 0;
  let next = 0;
  let last = 0;
  for (const key in h) {
    const n = h[key] ?? 0;
    if (n <= 0) continue;
    last = Number(key);
    while (next < ranks.length && before + n >= ranks[next]!) {
      found[next] = estimate(last, (ranks[next]! - before - 0.5) / n);
      next += 1;
    }
    before += n;
  }
  for (; next < ranks.length; next += 1) found[next] = estimate(last, 1);
  return found;
}

/** A point `fraction` of the way through bucket `b`, on a log scale (linear in bucket 0). */
function estimate(b: number, fraction: number): number {
  if (b === 0) return round(BASE_MS * fraction);
  const low = BASE_MS * GROWTH ** (b - 1);
  if (b === BUCKETS - 1) return round(low);
  return round(low * GROWTH ** fraction);
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
