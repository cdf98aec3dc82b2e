import { DomainError } from '@platform/http';
import type { AcceptedEvent } from '../events.ts';
import { pseudonymOf, unlinkText } from '../pseudonyms.ts';
import { decodeCursor, encodeCursor, INFLUX_CURSOR } from './cursor.ts';
import { TooManyEvents } from './errors.ts';
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
import { encodeLines, eventLine, linesText, overwriteLine, sampleLine } from './line-protocol.ts';
import { MAX_TIMELINE_EVENTS, type Range, type Store, type TimelineEvent } from './types.ts';

/** Points per timeline query: below InfluxDB's default max-row-limit (10 000). */
const TIMELINE_PAGE = 5000;

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

    /**
     * InfluxDB cannot update a point, but a point written again at the same series and time
     * replaces the fields it names (see overwriteLine): each affected point gets the pseudonym in
     * `user_id` and in its properties, its other fields kept. A user id is a field, never a tag,
     * so the series stay the same. Reads page by time, 5,000 points at a time: one read for all
     * the users given; no mark, since a point's time is the event's, not when it was written,
     * so every pass reads everything.
     */
    async forgetUsers(users) {
      if (users.length === 0) return { rewritten: 0 };
      await ensure();
      let total = 0;
      const byId = new Map(users.map((u) => [u.userId, u.pseudonym]));
      // In any case (`(?i)`), as unlinkText replaces them: a UUID is the same in upper case, in
      // a point's own user_id (a Segment backend's `userId`) as in its properties. A user id is a
      // UUID (rememberDeletions): none of its characters is special in a pattern.
      const pattern = users.map((u) => u.userId.replace(/[^0-9a-zA-Z-]/g, '')).join('|');
      const ids = `user_id =~ /(?i)^(?:${pattern})$/`;
      const passes = [
        {
          measurement: 'events',
          tags: ['event', 'source'],
          q: `SELECT user_id, properties, "event", "source" FROM events WHERE (${ids} OR properties =~ /(?i)${pattern}/)`,
        },
        {
          measurement: 'requests',
          tags: ['service', 'route', 'method', 'status_class'],
          q: `SELECT user_id, service, route, "method", status_class FROM requests WHERE (${ids})`,
        },
      ];
      for (const pass of passes) {
        let after = '';
        for (;;) {
          const [series] =
            (await influx.query(`${pass.q}${after} ORDER BY time ASC LIMIT 5000`))[0] ?? [];
          const found = series ? records(series) : [];
          if (found.length === 0) break;
          const lines = found.map((r) => {
            const fields: Record<string, string> = {};
            const own = typeof r.user_id === 'string' ? pseudonymOf(r.user_id, byId) : undefined;
            if (own) fields.user_id = own;
            if (typeof r.properties === 'string') {
              const text = unlinkText(r.properties, byId);
              if (text !== r.properties) fields.properties = text;
            }
            const tags = Object.fromEntries(pass.tags.map((t) => [t, String(r[t] ?? '')]));
            return overwriteLine(pass.measurement, tags, fields, nanos(r.time as string));
          });
          await influx.write(lines.join(''));
          total += found.length;
          if (found.length < 5000) break;
          after = ` AND time > ${nanos(found.at(-1)!.time as string)}`;
        }
      }
      return { rewritten: total };
    },

    async writeEncoded(bodies) {
      await ensure();
      await influx.write({ pieces: bodies });
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
      // InfluxQL cannot ask for a missing field: events of a linked anonymous id that name
      // another user are dropped below, so a page may hold fewer than `limit`.
      const anonymous = (q.anonymousIds ?? []).map((id) => `anonymous_id = ${quote(id)}`);
      const who = q.userId === null ? anonymous : [`user_id = ${quote(q.userId)}`, ...anonymous];
      // Without a user and an anonymous id, nothing (a condition no event meets).
      if (who.length === 0) who.push("event_id = ''");
      const where = [who.length > 1 ? `(${who.join(' OR ')})` : who[0]!, range(q)];
      if (q.event) where.push(`"event" = ${quote(q.event)}`);
      if (after) where.push(`time < ${after[0]}`);
      const [series] = await select(
        `SELECT event_id, user_id, anonymous_id, properties, "event", "source" FROM events ` +
          `WHERE ${where.join(' AND ')} ORDER BY time ${q.oldestFirst ? 'ASC' : 'DESC'} LIMIT ${q.limit + 1}`,
      );
      const found = series ? records(series) : [];
      const page = found.slice(0, q.limit);
      const last = page.at(-1);
      // A visitor's events are theirs whatever user they name.
      const theirs = (r: Record<string, unknown>) =>
        q.userId === null || r.user_id == null || r.user_id === q.userId;
      return {
        items: page.filter(theirs).map(
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

    async dailyActiveUsers(r, linkedUsers) {
      if (!linkedUsers) {
        const [s] = await select(
          `SELECT COUNT(DISTINCT(user_id)) AS n FROM events WHERE ${range(r)} GROUP BY time(1d) fill(none)`,
        );
        return (s ? records(s) : [])
          .filter((x) => num(x.n) > 0)
          .map((x) => ({ day: (x.time as string).slice(0, 10), users: num(x.n) }));
      }
      // Stitched: each day's user ids, and the users its anonymous ids are linked to (the link
      // table is in PostgreSQL, so InfluxDB hands over the day's distinct ids).
      const distinct = async (field: string) => {
        const [s] = await select(
          `SELECT DISTINCT(${field}) AS v FROM events WHERE ${range(r)} GROUP BY time(1d) fill(none)`,
        );
        return (s ? records(s) : []).flatMap((x) =>
          typeof x.v === 'string' ? [{ day: (x.time as string).slice(0, 10), id: x.v }] : [],
        );
      };
      const users = await distinct('user_id');
      const anonymous = await distinct('anonymous_id');
      const linked = await linkedUsers(anonymous.map((a) => a.id));
      const byDay = new Map<string, Set<string>>();
      const add = (day: string, user: string | undefined) => {
        if (user === undefined) return;
        const set = byDay.get(day) ?? new Set<string>();
        set.add(user);
        byDay.set(day, set);
      };
      for (const u of users) add(u.day, u.id);
      for (const a of anonymous) add(a.day, linked.get(a.id));
      return [...byDay]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([day, set]) => ({ day, users: set.size }));
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

    // Paged by time: one answer of a million points would meet the server's row limit.
    async timeline(r, names) {
      const out: TimelineEvent[] = [];
      const which = names.map((n) => `"event" = ${quote(n)}`).join(' OR ');
      let after = `${ms(r.from)}`;
      let first = true;
      for (;;) {
        const [series] = await select(
          `SELECT user_id, anonymous_id, "event" FROM events WHERE (${which}) AND ` +
            `time ${first ? '>=' : '>'} ${after} AND time < ${ms(r.to)} ` +
            `ORDER BY time ASC LIMIT ${TIMELINE_PAGE}`,
        );
        first = false;
        const found = series ? records(series) : [];
        for (const x of found) {
          if (x.user_id == null && x.anonymous_id == null) continue;
          out.push({
            time: Number(nanos(x.time as string) / 1_000_000n),
            userId: (x.user_id as string | null) ?? null,
            anonymousId: (x.anonymous_id as string | null) ?? null,
            event: x.event as string,
          });
        }
        if (out.length > MAX_TIMELINE_EVENTS) throw new TooManyEvents();
        if (found.length < TIMELINE_PAGE) return out;
        after = String(nanos(found.at(-1)!.time as string));
      }
    },

    // The retention policy set in ensure() expires old shards.
    prune: async () => {},
  };
}
