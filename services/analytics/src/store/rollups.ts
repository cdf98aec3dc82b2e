import { addToCounts, BUCKETS, fromCounts, type Histogram, percentiles } from './histogram.ts';
import type { PerformancePoint } from './types.ts';

/**
 * Rollup widths, widest first. An interval reads the widest whose width divides it: a day at
 * 15m reads 96 points per series, not 1440.
 */
export const ROLLUP_LEVELS = [
  { suffix: '1h', seconds: 3600 },
  { suffix: '15m', seconds: 900 },
  { suffix: '1m', seconds: 60 },
] as const;

export const rollupLevel = (intervalSeconds: number) =>
  ROLLUP_LEVELS.find((l) => intervalSeconds % l.seconds === 0) ?? ROLLUP_LEVELS[2];

/** One rollup row, already placed in its interval (`time` is the interval's start). */
export interface RollupRow {
  service: string;
  route: string;
  /** The interval's start: ms since the epoch, or a date. */
  time: number | string | Date;
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
 * Adds up rows ordered by time (as the rollup tables' keys are) into one point per interval,
 * series and interval. Only the open interval's points are held, so memory stays flat however
 * long the range; each series' points come out in time order.
 */
export const mergeRollups = (rows: Iterable<RollupRow>): PerformancePoint[] =>
  mergeRows(rows, pointOf);

/** The same sums, with the merged histogram instead of percentiles (InfluxDB's hourly points). */
export const mergeRollupCounts = (rows: Iterable<RollupRow>) =>
  mergeRows(rows, (key, requests, errors, hist) => ({ ...key, requests, errors, hist }));

function mergeRows<T>(
  rows: Iterable<RollupRow>,
  make: (
    key: { service: string; route: string; time: Date },
    requests: number,
    errors: number,
    hist: Histogram,
  ) => T,
): T[] {
  interface Open {
    time: Date;
    row: RollupRow;
    requests: number;
    errors: number;
    /** The only row's histogram, until a second row makes it `counts`. */
    hist: Histogram;
    counts?: Float64Array;
  }
  const points: T[] = [];
  let open = new Map<string, Open>();
  let openTime = Number.NaN;
  const flush = () => {
    for (const p of open.values()) {
      const key = { service: p.row.service, route: p.row.route, time: p.time };
      const hist = p.counts ? fromCounts(p.counts) : p.hist;
      points.push(make(key, p.requests, p.errors, hist));
    }
    open = new Map();
  };
  for (const row of rows) {
    const ms = typeof row.time === 'number' ? row.time : new Date(row.time).getTime();
    if (ms !== openTime) {
      flush();
      openTime = ms;
    }
    const hist = typeof row.hist === 'string' ? (JSON.parse(row.hist) as Histogram) : row.hist;
    const key = `${row.service}\n${row.route}`;
    const p = open.get(key);
    if (!p) {
      const [requests, errors] = [Number(row.requests), Number(row.errors)];
      open.set(key, { time: new Date(ms), row, requests, errors, hist });
      continue;
    }
    p.requests += Number(row.requests);
    p.errors += Number(row.errors);
    p.counts ??= addToCounts(new Float64Array(BUCKETS), p.hist);
    addToCounts(p.counts, hist);
  }
  flush();
  return points;
}
