import type { AcceptedEvent } from '../events.ts';
import { decodeCursor, encodeCursor, INFLUX_CURSOR } from './cursor.ts';
import { TooManyEvents } from './errors.ts';
import { nanos, quote, records, type Series } from './influx-client.ts';
import { MAX_TIMELINE_EVENTS, type Range, type Store, type TimelineEvent } from './types.ts';

/** Points per timeline query: below InfluxDB's default max-row-limit (10 000). */
const TIMELINE_PAGE = 5000;

const ms = (d: Date) => `${d.getTime()}ms`;
const range = (r: Range) => `time >= ${ms(r.from)} AND time < ${ms(r.to)}`;
const num = (v: unknown) => (typeof v === 'number' ? v : 0);

/**
 * The store's reads on InfluxDB, one InfluxQL query (or a page of them) each: a user's activity,
 * the dashboard's reports, the timeline funnels and retention are computed from. `select` runs a
 * query (the database made first, failures as 503s: see createInfluxStore).
 */
export function influxReads(
  select: (q: string) => Promise<Series[]>,
): Pick<
  Store,
  'activity' | 'dailyActiveUsers' | 'topEvents' | 'topRoutes' | 'signups' | 'timeline'
> {
  return {
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
  };
}
