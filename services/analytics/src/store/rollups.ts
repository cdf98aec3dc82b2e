import { addTo, type Histogram, percentiles } from './histogram.ts';
import type { PerformancePoint } from './types.ts';

/** One rollup row, already placed in its interval (`time` is the interval's start). */
export interface RollupRow {
  service: string;
  route: string;
  time: string | Date;
  requests: number | string;
  errors: number | string;
  /** As stored: a JSON object of bucket → count, or that object. */
  hist: string | Histogram;
}

export function pointOf(
  key: { service: string; route: string; time: Date },
  requests: number,
  errors: number,
  hist: Histogram,
): PerformancePoint {
  const [p50, p95, p99] = percentiles(hist, [50, 95, 99]);
  return { ...key, requests, errors, p50: p50 ?? null, p95: p95 ?? null, p99: p99 ?? null };
}

/**
 * Adds up rows ordered by service, route and interval into one point per interval. Only one
 * point's histogram is held at a time, so memory stays flat however many rows a range has.
 */
export function mergeRollups(rows: Iterable<RollupRow>): PerformancePoint[] {
  const points: PerformancePoint[] = [];
  let current: { service: string; route: string; time: Date } | undefined;
  let requests = 0;
  let errors = 0;
  let hist: Histogram = {};
  const flush = () => {
    if (current) points.push(pointOf(current, requests, errors, hist));
  };
  for (const row of rows) {
    const time = new Date(row.time);
    if (
      !current ||
      current.time.getTime() !== time.getTime() ||
      current.route !== row.route ||
      current.service !== row.service
    ) {
      flush();
      current = { service: row.service, route: row.route, time };
      requests = 0;
      errors = 0;
      hist = {};
    }
    requests += Number(row.requests);
    errors += Number(row.errors);
    addTo(hist, typeof row.hist === 'string' ? JSON.parse(row.hist) : row.hist);
  }
  flush();
  return points;
}
