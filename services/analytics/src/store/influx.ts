import { DomainError } from '@platform/http';
import { pseudonymOf, unlinkText } from '../pseudonyms.ts';
import {
  type InfluxOptions,
  InfluxUnavailable,
  ident,
  influxClient,
  nanos,
  QueryTruncated,
  records,
  type Series,
} from './influx-client.ts';
import { influxPerformance } from './influx-performance.ts';
import { influxReads } from './influx-reads.ts';
import { computeRollups, type RollupState } from './influx-rollups.ts';
import { encodeLines, eventLine, linesText, overwriteLine, sampleLine } from './line-protocol.ts';
import type { Store } from './types.ts';

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
     * `user_id`, `anonymous_id` and in its properties, its other fields kept. Ids are fields,
     * never tags, so the series stay the same (an event's name, a tag, cannot be rewritten so). Reads page by time, 5,000 points at a time (fewer under a
     * lower max-row-limit): one read for all the users given; no mark, since a point's time is
     * the event's, not when it was written, so every pass reads everything.
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
      const is = (field: string) => `${field} =~ /(?i)^(?:${pattern})$/`;
      const ids = is('user_id');
      const passes = [
        {
          measurement: 'events',
          tags: ['event', 'source'],
          q: `SELECT user_id, anonymous_id, properties, "event", "source" FROM events WHERE (${ids} OR ${is('anonymous_id')} OR properties =~ /(?i)${pattern}/)`,
        },
        {
          measurement: 'requests',
          tags: ['service', 'route', 'method', 'status_class'],
          q: `SELECT user_id, service, route, "method", status_class FROM requests WHERE (${ids})`,
        },
      ];
      // Points per page: 5,000, or less on a server whose max-row-limit is lower (it cuts the
      // answer short, QueryTruncated: asked for 5,000 regardless, the pass failed for every user
      // of it at every tick). Halved as the rollups' ranges are, and kept for the pass.
      let limit = 5000;
      for (const pass of passes) {
        let after = '';
        for (;;) {
          let series: Series | undefined;
          try {
            [series] =
              (await influx.query(`${pass.q}${after} ORDER BY time ASC LIMIT ${limit}`))[0] ?? [];
          } catch (error) {
            if (!(error instanceof QueryTruncated) || limit === 1) throw error;
            limit = Math.ceil(limit / 2);
            continue;
          }
          const found = series ? records(series) : [];
          if (found.length === 0) break;
          const lines = found.flatMap((r) => {
            const fields: Record<string, string> = {};
            const own = typeof r.user_id === 'string' ? pseudonymOf(r.user_id, byId) : undefined;
            if (own) fields.user_id = own;
            // An anonymous id too: clients often send the signed-in user's id as theirs.
            const anonymous =
              typeof r.anonymous_id === 'string' ? pseudonymOf(r.anonymous_id, byId) : undefined;
            if (anonymous) fields.anonymous_id = anonymous;
            if (typeof r.properties === 'string') {
              const text = unlinkText(r.properties, byId);
              if (text !== r.properties) fields.properties = text;
            }
            // Found but holding no id (the lookalike of one in an escape: pseudonyms.ts): no
            // line. One without a field is no line protocol: InfluxDB refused the whole write,
            // and the pass failed for every user of it, at every tick.
            if (Object.keys(fields).length === 0) return [];
            const tags = Object.fromEntries(pass.tags.map((t) => [t, String(r[t] ?? '')]));
            return [overwriteLine(pass.measurement, tags, fields, nanos(r.time as string))];
          });
          if (lines.length > 0) await influx.write(lines.join(''));
          total += found.length;
          if (found.length < limit) break;
          // From the last point's time again, not after it: points of other series at that time
          // may be past the page (from after it, never read, their id kept). Those rewritten no
          // longer match; a page all at one time (a page's worth of series at one instant) goes on
          // after it.
          const [first, last] = [found[0]!.time as string, found.at(-1)!.time as string];
          after = ` AND time ${first === last ? '>' : '>='} ${nanos(last)}`;
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

    ...influxReads(select),

    async performance(q) {
      try {
        return await rollups.performance(q);
      } catch (error) {
        throw unavailable(error);
      }
    },

    // The retention policy set in ensure() expires old shards.
    prune: async () => {},
  };
}
