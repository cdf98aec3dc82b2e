import { bucketOf, type Histogram } from './histogram.ts';
import { type InfluxClient, QueryTruncated, type Series } from './influx-client.ts';
import { rollupLine } from './line-protocol.ts';
import { mergeRollupCounts, ROLLUP_LEVELS } from './rollups.ts';

/**
 * What the InfluxDB store keeps in the service's PostgreSQL (tables rollup_state, rollup_dirty):
 * from when its rollups hold every sample, and which minutes got samples since their rollups
 * were last computed.
 */
export interface RollupState {
  load(): Promise<Date | null>;
  /** Keeps the first value saved (unless `replace`); returns the one kept. */
  save(coveredFrom: Date, replace?: boolean): Promise<Date>;
  /** Marks minutes (ms since the epoch) whose samples are written. */
  mark(minutes: number[]): Promise<void>;
  /** Marks every minute in [from, to): the backfill of samples older than the rollups. */
  markRange(from: number, to: number): Promise<void>;
  /** Whether a minute before `time` is still marked. */
  pendingBefore(time: Date): Promise<boolean>;
  /** Up to `limit` marked minutes, the newest, in time order, and the moment they were read. */
  dirty(limit: number): Promise<{ minutes: number[]; asOf: Date }>;
  /** Clears the marks of `minutes` not renewed after `asOf`. */
  clear(minutes: number[], asOf: Date): Promise<void>;
}

const MINUTE = 60_000;
/** Minutes computed per round: a bounded read of raw points, however large the backlog. */
const ROUND = 240;

interface Group {
  service: string;
  route: string;
  start: number;
  requests: number;
  errors: number;
  hist: Histogram;
}

/** Consecutive minutes as [from, to) ranges, one raw query each. */
function runs(minutes: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const m of minutes) {
    const last = out.at(-1);
    if (last && last[1] === m) last[1] = m + MINUTE;
    else out.push([m, m + MINUTE]);
  }
  return out;
}

/**
 * Brings `requests_1m`, `_15m` and `_1h` up to date: each marked minute is computed again from
 * the raw `requests` points, and each quarter and hour around one from its minutes. Every point lands on
 * its interval's start, so a repeat (a crash, two replicas) overwrites rather than adds. Marks
 * are made after the samples are written and cleared only if not renewed since this round read
 * them, so samples written meanwhile get their round. Returns the minutes computed.
 */
export async function computeRollups(influx: InfluxClient, state: RollupState): Promise<number> {
  // The newest first: the current minutes stay fresh while an old backlog is worked off.
  const { minutes, asOf } = await state.dirty(ROUND);
  if (minutes.length === 0) return 0;
  const wanted = new Set(minutes);
  const pending = runs(minutes);
  for (let range = pending.shift(); range; range = pending.shift()) {
    const [from, to] = range;
    let series: Series[];
    try {
      [series = []] = await influx.query(
        `SELECT duration_ms, error FROM requests WHERE time >= ${from}ms AND time < ${to}ms ` +
          'GROUP BY service, route',
      );
    } catch (error) {
      // Too many points for the server's max-row-limit: halves, down to a single minute.
      if (!(error instanceof QueryTruncated) || to - from <= MINUTE) throw error;
      const middle = from + Math.floor((to - from) / MINUTE / 2) * MINUTE;
      pending.unshift([from, middle], [middle, to]);
      continue;
    }
    const groups = new Map<string, Group>();
    for (const s of series) {
      const service = s.tags?.service ?? '';
      const route = s.tags?.route ?? '';
      for (const [time, duration, error] of s.values as [string, number, number][]) {
        const start = Math.floor(Date.parse(time) / MINUTE) * MINUTE;
        const key = `${start}\n${service}\n${route}`;
        let g = groups.get(key);
        if (!g) {
          g = { service, route, start, requests: 0, errors: 0, hist: {} };
          groups.set(key, g);
        }
        const b = bucketOf(duration);
        g.requests += 1;
        g.errors += error ? 1 : 0;
        g.hist[b] = (g.hist[b] ?? 0) + 1;
      }
    }
    const lines = [...groups.values()]
      .filter((g) => wanted.has(g.start))
      .map((g) => rollupLine('requests_1m', g, g.hist));
    for (let i = 0; i < lines.length; i += 5000) await influx.write(lines.slice(i, i + 5000));
  }
  for (const level of ROLLUP_LEVELS.filter((l) => l.seconds > 60)) {
    const width = level.seconds * 1000;
    for (const start of new Set(minutes.map((m) => Math.floor(m / width) * width))) {
      await computeWider(influx, `requests_${level.suffix}`, start, width);
    }
  }
  await state.clear(minutes, asOf);
  return minutes.length;
}

/** One wider interval per service and route, added up from its minutes. */
async function computeWider(
  influx: InfluxClient,
  measurement: string,
  start: number,
  width: number,
) {
  const [series = []] = await influx.query(
    `SELECT requests, errors, hist FROM requests_1m WHERE time >= ${start}ms AND time < ${start + width}ms GROUP BY service, route`,
  );
  const rows = series.flatMap((s) =>
    (s.values as [string, number, number, string][]).map(([, requests, errors, hist]) => ({
      service: s.tags?.service ?? '',
      route: s.tags?.route ?? '',
      time: start,
      requests,
      errors,
      hist,
    })),
  );
  const lines = mergeRollupCounts(rows).map((p) =>
    rollupLine(measurement, { ...p, start }, p.hist),
  );
  if (lines.length) await influx.write(lines);
}
