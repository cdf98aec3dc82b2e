// The times and durations a query names: range bounds, intervals, ISO 8601 durations.
import { problems } from '@platform/http';
import { EARLIEST, LATEST } from '../storable.ts';
import type { Range } from '../store/types.ts';
import { DATE_ONLY } from './schema.ts';

const DAY = 86_400_000;
const UNIT = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
/** Points per series a `/performance` answer may hold. */
export const MAX_POINTS = 1440;

/**
 * A bound of a range: 400 unless it is a time the stores can be asked about. A date alone is a
 * whole UTC day: `from` its start, `to` its end (the next day's start, `to` being exclusive), so
 * `from=2026-12-01&to=2026-12-07` is those seven days, as a caller asking for days means.
 */
function timeOf(value: string, field: 'from' | 'to'): Date {
  const dayOnly = new RegExp(DATE_ONLY).test(value);
  let ms = Date.parse(dayOnly ? `${value}T00:00:00Z` : value);
  // Date rolls a day that does not exist (2026-02-30) over into the next month: none at all.
  if (dayOnly && !(ms >= EARLIEST && new Date(ms).toISOString().startsWith(value))) ms = Number.NaN;
  if (dayOnly && field === 'to') ms += DAY;
  // The date-time format admits a leap second (23:59:60), which Date.parse does not.
  if (!(ms >= EARLIEST && ms <= LATEST)) {
    throw problems.badRequest(`"${field}" is not a time analytics can look up.`, [
      { field, message: 'must be a valid date-time from 1970 to 2261' },
    ]);
  }
  return new Date(ms);
}

export function rangeOf(
  from: string | undefined,
  to: string | undefined,
  defaultSpanMs: number,
): Range {
  const end = to ? timeOf(to, 'to') : new Date();
  const start = from ? timeOf(from, 'from') : new Date(end.getTime() - defaultSpanMs);
  if (start >= end) {
    throw problems.badRequest('"from" must be before "to".', [
      { field: 'from', message: 'must be before "to"' },
    ]);
  }
  return { from: start, to: end };
}

/** `PT1H30M` → 5400; the schema's pattern has let only days, hours, minutes and seconds through. */
function isoDurationSeconds(duration: string): number {
  const [, d, h, m, s] =
    /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(duration) ?? [];
  return Number(d ?? 0) * 86_400 + Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0);
}

export function intervalSeconds(interval: string): number {
  const seconds = interval.startsWith('P')
    ? isoDurationSeconds(interval)
    : Number(interval.slice(0, -1)) * UNIT[interval.slice(-1) as keyof typeof UNIT];
  // Rollups are per minute: an interval is a whole number of them.
  if (seconds < 60 || seconds > 86_400 || seconds % 60 !== 0) {
    throw problems.badRequest('The interval must be whole minutes between 1m and 1d.', [
      { field: 'interval', message: 'must be whole minutes between 1m and 1d' },
    ]);
  }
  return seconds;
}

/** Intervals start at multiples of their length since the epoch (UTC), like date_bin and GROUP BY time. */
export const floorTo = (t: Date, ms: number) => new Date(Math.floor(t.getTime() / ms) * ms);
export const ceilTo = (t: Date, ms: number) => new Date(Math.ceil(t.getTime() / ms) * ms);

/** The intervals a range without one is cut into: the finest that keeps it within MAX_POINTS. */
const DEFAULT_INTERVALS = ['1m', '5m', '15m', '1h', '6h', '1d'] as const;

export function fittingInterval(range: Range): string {
  const span = range.to.getTime() - range.from.getTime();
  return (
    DEFAULT_INTERVALS.find((i) => Math.ceil(span / (intervalSeconds(i) * 1000)) <= MAX_POINTS) ??
    '1d'
  );
}

/**
 * The end of an ISO 8601 duration the schema admitted (DURATION) that starts at `start` (ms):
 * years and months by the UTC calendar (from the 31st, a month ends on the last day of the next,
 * as in PostgreSQL), weeks, days and the time part as fixed lengths.
 */
export function durationEnd(value: string): (start: number) => number {
  const m =
    /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(
      value,
    );
  const [y, mo, w, d, h, min, sec] = (m?.slice(1) ?? []).map((x) => Number(x ?? 0)) as number[];
  const fixed =
    ((((w ?? 0) * 7 + (d ?? 0)) * 24 + (h ?? 0)) * 60 + (min ?? 0)) * 60_000 + (sec ?? 0) * 1000;
  const months = (y ?? 0) * 12 + (mo ?? 0);
  if (months === 0) return (start) => start + fixed;
  return (start) => {
    const at = new Date(start);
    const day = at.getUTCDate();
    at.setUTCDate(1);
    at.setUTCMonth(at.getUTCMonth() + months);
    const last = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 0)).getUTCDate();
    at.setUTCDate(Math.min(day, last));
    return at.getTime() + fixed;
  };
}
