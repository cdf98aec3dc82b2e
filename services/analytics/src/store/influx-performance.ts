import { type InfluxClient, quote, records, type Series } from './influx-client.ts';
import type { RollupState } from './influx-rollups.ts';
import { mergeRollups, rollupLevel } from './rollups.ts';
import type { PerformancePoint, PerformanceQuery } from './types.ts';

const ms = (d: Date) => `${d.getTime()}ms`;
const num = (v: unknown) => (typeof v === 'number' ? v : 0);
const orNull = (v: unknown) => (typeof v === 'number' ? v : null);
const MINUTE = 60_000;

/**
 * `/performance` on InfluxDB. Intervals from the rollups' start on are summed from the rollup
 * points (`requests_1m`, `_15m`, `_1h`: see computeRollups); intervals before it — samples
 * written before this version had rollups — come from the raw `requests` points, slowly but
 * exactly.
 */
export function influxPerformance(deps: {
  influx: InfluxClient;
  /** Creates the database and retention policy if need be. */
  ensure: () => Promise<void>;
  select: (q: string) => Promise<Series[]>;
  state: RollupState;
  retentionDays: number;
}) {
  const { influx, ensure, select, state } = deps;
  let covered: Promise<Date> | undefined;

  /**
   * A database without raw samples is covered from the start. Else from the next minute on,
   * and every earlier minute within retention is marked for the rollup job (newest first),
   * after which it is covered from the start too.
   */
  async function determine(): Promise<Date> {
    const known = await state.load();
    if (known && known.getTime() > 0 && !(await state.pendingBefore(known))) {
      return state.save(new Date(0), true);
    }
    if (known) return known;
    await ensure();
    const [[raw] = []] = await influx.query('SELECT duration_ms FROM requests LIMIT 1');
    if (!raw) return state.save(new Date(0));
    const next = Math.ceil((Date.now() + 1) / MINUTE) * MINUTE;
    // Marks first: a crash in between leaves marks and no coverage, which the next start redoes.
    await state.markRange(next - deps.retentionDays * 86_400_000, next);
    return state.save(new Date(next));
  }

  /** Before the first write and the first query: raw samples written after it have rollups. */
  function coveredFrom(): Promise<Date> {
    covered ??= determine().then(
      (date) => {
        // Not final while a backfill runs: asked again next time.
        if (date.getTime() > 0) covered = undefined;
        return date;
      },
      (error) => {
        covered = undefined;
        throw error;
      },
    );
    return covered;
  }

  const where = (q: PerformanceQuery) =>
    `time >= ${ms(q.from)} AND time < ${ms(q.to)}` +
    (q.service ? ` AND service = ${quote(q.service)}` : '');

  /**
   * The rollup points of the range, added up per interval here: InfluxQL cannot add histograms,
   * and this reads no more points than PostgreSQL's rollup tables hold.
   */
  async function fromRollups(q: PerformanceQuery): Promise<PerformancePoint[]> {
    const measurement = `requests_${rollupLevel(q.intervalSeconds).suffix}`;
    const width = q.intervalSeconds * 1000;
    const series = await select(
      `SELECT requests, errors, hist FROM ${measurement} WHERE ${where(q)} GROUP BY service, route`,
    );
    // Per series in time order: each interval's rows are together, as mergeRollups needs.
    return mergeRollups(
      series.flatMap((s) =>
        (s.values as [string, number, number, string][]).map(([time, requests, errors, hist]) => ({
          service: s.tags?.service ?? '',
          route: s.tags?.route ?? '',
          time: Math.floor(Date.parse(time) / width) * width,
          requests,
          errors,
          hist,
        })),
      ),
    );
  }

  async function fromRaw(q: PerformanceQuery): Promise<PerformancePoint[]> {
    const series = await select(
      'SELECT COUNT(duration_ms) AS requests, SUM(error) AS errors, ' +
        'PERCENTILE(duration_ms, 50) AS p50, PERCENTILE(duration_ms, 95) AS p95, ' +
        `PERCENTILE(duration_ms, 99) AS p99 FROM requests WHERE ${where(q)} ` +
        `GROUP BY time(${q.intervalSeconds}s), service, route fill(none)`,
    );
    return series.flatMap((s) =>
      records(s).map(
        (r): PerformancePoint => ({
          service: s.tags?.service ?? '',
          route: s.tags?.route ?? '',
          time: new Date(r.time as string),
          requests: num(r.requests),
          errors: num(r.errors),
          p50: orNull(r.p50),
          p95: orNull(r.p95),
          p99: orNull(r.p99),
        }),
      ),
    );
  }

  return {
    coveredFrom,
    /** Intervals before the first one the rollups fully cover come from raw points. */
    async performance(q: PerformanceQuery): Promise<PerformancePoint[]> {
      const width = q.intervalSeconds * 1000;
      const start = (await coveredFrom()).getTime();
      const cut = new Date(
        Math.min(q.to.getTime(), Math.max(q.from.getTime(), Math.ceil(start / width) * width)),
      );
      const early = cut > q.from ? await fromRaw({ ...q, to: cut }) : [];
      const late = cut < q.to ? await fromRollups({ ...q, from: cut }) : [];
      // Each series' raw intervals come before its rolled-up ones, as the caller expects.
      return [...early, ...late];
    },
  };
}
