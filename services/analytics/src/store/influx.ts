import { DomainError } from '@platform/http';
import type { AcceptedEvent } from '../ingestion/types.ts';
import { decodeCursor, encodeCursor, INFLUX_CURSOR } from './cursor.ts';
import {
  type InfluxOptions,
  InfluxUnavailable,
  ident,
  influxClient,
  QueryTruncated,
  quote,
  records,
} from './influx-client.ts';
import { influxPerformance } from './influx-performance.ts';
import { computeRollups, type RollupState } from './influx-rollups.ts';
import { encodeLines, eventLine, linesText, sampleLine } from './line-protocol.ts';
import type { Range, Store } from './types.ts';

/** Nanoseconds since the epoch of an RFC 3339 time as InfluxDB prints it (up to 9 digits). */
export function nanos(time: string): bigint {
  const m = /^(.*?)(?:\.(\d{1,9}))?Z$/.exec(time);
  if (!m) throw new Error(`unexpected time from InfluxDB: ${time}`);
  const seconds = BigInt(Date.parse(`${m[1]}Z`)) / 1000n;
  return seconds * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

const ms = (d: Date) => `${d.getTime()}ms`;
const range = (r: Range) => `time >= ${ms(r.from)} AND time < ${ms(r.to)}`;
const num = (v: unknown) => (typeof v === 'number' ? v : 0);
const RP = 'analytics';

/**
 * The store in InfluxDB, over the v1 HTTP API. Measurements: `events` (tags event, source) and
 * `requests` (tags service, route, method, status_class); ids are fields, never tags.
 */
export function createInfluxStore(
  options: InfluxOptions & { retentionDays: number; rollupState: RollupState },
): Store {
  const influx = influxClient(options);
  let initialised = false;

  /** Database and retention policy; 2.x and 3.x manage those themselves and refuse, which is fine. */
  async function ensure() {
    if (initialised) return;
    const db = ident(options.database);
    const duration = `${options.retentionDays}d`;
    try {
      await influx.query(`CREATE DATABASE ${db}`, true);
      await influx
        .query(
          `CREATE RETENTION POLICY "${RP}" ON ${db} DURATION ${duration} REPLICATION 1 DEFAULT`,
          true,
        )
        .catch(() =>
          influx.query(
            `ALTER RETENTION POLICY "${RP}" ON ${db} DURATION ${duration} DEFAULT`,
            true,
          ),
        );
    } catch (error) {
      if ((error as Error).name === 'InfluxUnavailable' && !/answered 4\d\d/.test(String(error))) {
        throw error;
      }
    }
    initialised = true;
  }

  // Reads fail as 503: the caller may retry later; writes keep their errors for the writer.
  const unavailable = (error: unknown) => {
    const retry = { retryAfterSeconds: 5, cause: error };
    if (error instanceof QueryTruncated) {
      return new DomainError(
        'result_too_large',
        "The answer exceeds the analytics store's row limit; narrow the range or widen the interval.",
        retry,
      );
    }
    if (error instanceof InfluxUnavailable) {
      return new DomainError(
        'store_unavailable',
        'The analytics store is unavailable or too slow; try again.',
        retry,
      );
    }
    return error;
  };
  const select = async (q: string) => {
    try {
      // A read before the first write would find no database: an empty answer, not an error.
      await ensure();
      return (await influx.query(q))[0] ?? [];
    } catch (error) {
      throw unavailable(error);
    }
  };
  const rollups = influxPerformance({
    influx,
    ensure,
    select,
    state: options.rollupState,
    retentionDays: options.retentionDays,
  });

  return {
    kind: 'influxdb',
    // Not at start: InfluxDB may be down then, and ingestion must still accept events.
    init: async () => {},
    ping: () => influx.ping(),

    async writeEvents(items) {
      await ensure();
      await influx.write(encodeLines(items, eventLine));
    },

    encodeEvents: (items) => linesText(items, eventLine),

    async writeEncoded(bodies) {
      await ensure();
      await influx.write(bodies.join(''));
    },

    // Marked after the write: a mark then always finds its samples (see computeRollups). A
    // failed mark fails the write, which the writer retries, marking again.
    async writeSamples(items) {
      await ensure();
      await rollups.coveredFrom();
      await influx.write(items.map(sampleLine));
      const minutes = new Set(items.map((s) => Math.floor(Date.parse(s.timestamp) / 60_000)));
      // In order: concurrent writers then lock the same rows in the same order, never deadlock.
      await options.rollupState.mark([...minutes].sort((a, b) => a - b).map((m) => m * 60_000));
    },

    settle: () => computeRollups(influx, options.rollupState),

    async activity(q) {
      const after = q.cursor ? decodeCursor(q.cursor, INFLUX_CURSOR) : undefined;
      const where = [`user_id = ${quote(q.userId)}`, range(q)];
      if (q.event) where.push(`"event" = ${quote(q.event)}`);
      if (after) where.push(`time < ${after[0]}`);
      const [series] = await select(
        `SELECT event_id, user_id, anonymous_id, properties, "event", "source" FROM events ` +
          `WHERE ${where.join(' AND ')} ORDER BY time DESC LIMIT ${q.limit + 1}`,
      );
      const found = series ? records(series) : [];
      const page = found.slice(0, q.limit);
      const last = page.at(-1);
      return {
        items: page.map(
          (r): AcceptedEvent => ({
            id: r.event_id as string,
            event: r.event as string,
            source: r.source as string,
            userId: (r.user_id as string | null) ?? null,
            anonymousId: (r.anonymous_id as string | null) ?? null,
            properties: JSON.parse((r.properties as string) || '{}'),
            timestamp: new Date(Number(nanos(r.time as string) / 1_000_000n)).toISOString(),
          }),
        ),
        nextCursor:
          found.length > q.limit && last
            ? encodeCursor(String(nanos(last.time as string)), last.event_id as string)
            : null,
      };
    },

    async performance(q) {
      try {
        return await rollups.performance(q);
      } catch (error) {
        throw unavailable(error);
      }
    },

    async dailyActiveUsers(r) {
      const [s] = await select(
        `SELECT COUNT(DISTINCT(user_id)) AS n FROM events WHERE ${range(r)} GROUP BY time(1d) fill(none)`,
      );
      return (s ? records(s) : [])
        .filter((x) => num(x.n) > 0)
        .map((x) => ({ day: (x.time as string).slice(0, 10), users: num(x.n) }));
    },

    async topEvents(r, limit) {
      const series = await select(
        `SELECT COUNT(event_id) AS n FROM events WHERE ${range(r)} GROUP BY "event"`,
      );
      return series
        .map((s) => ({ event: s.tags?.event ?? '', count: num(records(s)[0]?.n) }))
        .sort((a, b) => b.count - a.count || a.event.localeCompare(b.event))
        .slice(0, limit);
    },

    async topRoutes(r, limit) {
      const series = await select(
        `SELECT COUNT(duration_ms) AS n, SUM(error) AS e FROM requests WHERE ${range(r)} GROUP BY service, route`,
      );
      return series
        .map((s) => ({
          service: s.tags?.service ?? '',
          route: s.tags?.route ?? '',
          requests: num(records(s)[0]?.n),
          errors: num(records(s)[0]?.e),
        }))
        .sort(
          (a, b) =>
            b.requests - a.requests ||
            a.service.localeCompare(b.service) ||
            a.route.localeCompare(b.route),
        )
        .slice(0, limit);
    },

    async signups(r) {
      const [s] = await select(
        `SELECT COUNT(event_id) AS n FROM events WHERE "event" = 'user.registered' AND ${range(r)} ` +
          'GROUP BY time(1d) fill(none)',
      );
      return (s ? records(s) : []).map((x) => ({
        day: (x.time as string).slice(0, 10),
        signups: num(x.n),
      }));
    },

    // The retention policy set in ensure() expires old shards.
    prune: async () => {},
  };
}
