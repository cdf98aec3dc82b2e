import { isStatementTimeout } from '@platform/db';
import { DomainError } from '@platform/http';
import { type SQL, sql } from 'drizzle-orm';
import pg from 'pg';
import type { Db } from '../db/index.ts';
import type { AcceptedEvent } from '../events.ts';
import { decodeCursor, encodeCursor, POSTGRES_CURSOR } from './cursor.ts';
import { StoreRejected, StoreUnavailable, TooManyEvents } from './errors.ts';
import { BUCKET_SQL } from './histogram.ts';
import { forgetUsers, PRUNE_ROWS, pruneBefore } from './postgres-upkeep.ts';
import { mergeRollups, type RollupRow, rollupLevel } from './rollups.ts';
import { MAX_TIMELINE_EVENTS, type Range, type Store } from './types.ts';

/** Rows per statement. */
const CHUNK = 5000;

const chunks = <T>(items: T[]) =>
  Array.from({ length: Math.ceil(items.length / CHUNK) }, (_, i) =>
    items.slice(i * CHUNK, (i + 1) * CHUNK),
  );

const num = (v: unknown) => Number(v ?? 0);
const day = (v: unknown) => new Date(v as string).toISOString().slice(0, 10);
const inRange = (r: Range) => sql`occurred_at >= ${r.from} and occurred_at < ${r.to}`;

/**
 * Adds the new samples (CTE `b`) to a rollup table, per `width` × service × route. Rows are
 * locked in key order, so two writers updating the same rows never deadlock.
 */
const rollupInsert = (table: string, width: string) =>
  sql.raw(`insert into ${table} as r (time, service, route, requests, errors, hist)
    select t, service, route, sum(n), sum(e), jsonb_object_agg(bucket, n) from (
      select date_bin('${width}', occurred_at, timestamptz '1970-01-01T00:00:00Z') as t,
        service, route, bucket, count(*) as n, count(*) filter (where error) as e
      from b group by 1, 2, 3, 4
    ) as g group by 1, 2, 3 order by 1, 2, 3
    on conflict (time, service, route) do update set requests = r.requests + excluded.requests,
      errors = r.errors + excluded.errors, hist = hist_add(r.hist, excluded.hist)`);

/** The server's own error under Drizzle's wrapper, with its SQLSTATE. */
const serverError = (error: unknown) =>
  ((error as { cause?: unknown }).cause ?? error) as { code?: unknown; message?: string };

/** SQLSTATE classes of a write refused for what it holds: data exceptions, integrity violations. */
const REFUSED = /^2[23]/;
/**
 * Classes of a server that cannot take the write now, whatever it holds: connection, invalid
 * transaction state (a read-only standby), rollback, resources, object in use, operator
 * intervention, system errors. Other server errors the writer weighs itself (see writer.ts).
 */
const UNAVAILABLE = /^(08|25|40|53|55|57|58)/;

async function write(db: Db, query: SQL): Promise<void> {
  try {
    await db.execute(query);
  } catch (error) {
    const cause = serverError(error);
    // No answer from the server at all (a dropped connection, a pool timeout): not the data's.
    if (!(cause instanceof pg.DatabaseError)) {
      throw new StoreUnavailable(`PostgreSQL: ${cause.message}`, { cause: error });
    }
    const { code = '', message } = cause;
    if (REFUSED.test(code)) throw new StoreRejected(`${code}: ${message}`, { cause: error });
    if (UNAVAILABLE.test(code)) throw new StoreUnavailable(`${code}: ${message}`, { cause: error });
    throw error;
  }
}

/** The store in the service's own PostgreSQL: `events` and `samples` (see src/db/schema.ts). */
export function createPostgresStore(
  db: Db,
  /** Rows one statement of `prune` deletes at most (PRUNE_ROWS; a test's smaller). */
  pruneRows = PRUNE_ROWS,
): Store {
  const rows = async <T>(query: SQL) => {
    try {
      return (await db.execute(query)).rows as T[];
    } catch (error) {
      // statement_timeout: a range too large for this store is the caller's to narrow, not a 500.
      if (isStatementTimeout(error)) {
        throw new DomainError(
          'query_timeout',
          'The query took too long; narrow the time range, widen the interval or filter by service.',
          { retryAfterSeconds: 5, cause: error },
        );
      }
      throw error;
    }
  };
  return {
    kind: 'postgres',
    init: async () => {},
    ping: async () => {
      await db.execute(sql`select 1`);
    },

    // Each batch is one JSON parameter expanded by PostgreSQL: no per-row bind parameters.
    async writeEvents(items) {
      for (const part of chunks(items)) {
        await write(
          db,
          sql`
          insert into events (seq, event_id, name, source, user_id, anonymous_id, properties, occurred_at)
          select seq, id, event, source, "userId", "anonymousId",
            -- queued as JSON text (older rows: as the object)
            case when jsonb_typeof(properties) = 'string' then (properties #>> '{}')::jsonb
              else properties end,
            timestamp
          from jsonb_to_recordset(${JSON.stringify(part)}::jsonb) as x(seq bigint, id text,
            event text, source text, "userId" text, "anonymousId" text, properties jsonb,
            timestamp timestamptz)
          on conflict do nothing`,
        );
      }
    },

    // Inserts the samples and adds exactly those that were new (RETURNING) to the rollups, in
    // one statement: a retried write neither duplicates samples nor counts them twice.
    async writeSamples(items) {
      for (const part of chunks(items)) {
        await write(
          db,
          sql`
          with ins as (
            insert into samples (seq, service, route, method, status, duration_ms, request_id,
              user_id, upstream, occurred_at)
            select seq, service, route, method, status, "durationMs", "requestId", "userId",
              upstream, timestamp
            from jsonb_to_recordset(${JSON.stringify(part)}::jsonb) as x(seq bigint, service text,
              route text, method text, status smallint, "durationMs" float8, "requestId" text,
              "userId" text, upstream text, timestamp timestamptz)
            on conflict do nothing
            returning service, route, status, duration_ms, occurred_at
          ), b as (
            select service, route, occurred_at, status >= 500 as error,
              ${sql.raw(BUCKET_SQL('duration_ms'))} as bucket
            from ins
          ), m as (${rollupInsert('sample_rollups_1m', '1 minute')}),
          q as (${rollupInsert('sample_rollups_15m', '15 minutes')}),
          h as (${rollupInsert('sample_rollups_1h', '1 hour')})
          select 1`,
        );
      }
    },

    async activity(q) {
      const after = q.cursor ? decodeCursor(q.cursor, POSTGRES_CURSOR) : undefined;
      // ORDER BY names `events.seq`: a bare name means an output column first, and the text one
      // sorted '9000' after '10000' (newest first), so the cursor, comparing numbers, lost events.
      const found = await rows<Record<string, unknown>>(sql`
        select event_id, name, source, user_id, anonymous_id, properties, occurred_at,
          (extract(epoch from occurred_at) * 1000)::bigint::text as ms, seq::text as seq_text
        from events
        where ${
          q.userId === null
            ? sql`anonymous_id in (
                select jsonb_array_elements_text(${JSON.stringify(q.anonymousIds ?? [])}::jsonb))`
            : q.anonymousIds?.length
              ? sql`(user_id = ${q.userId} or (user_id is null and anonymous_id in (
                select jsonb_array_elements_text(${JSON.stringify(q.anonymousIds)}::jsonb))))`
              : sql`user_id = ${q.userId}`
        } and ${inRange(q)}
          ${q.event ? sql`and name = ${q.event}` : sql``}
          ${after ? sql`and (occurred_at, seq) < (to_timestamp(${Number(after[0])} / 1000.0), ${Number(after[1])})` : sql``}
        order by ${q.oldestFirst ? sql`occurred_at, events.seq` : sql`occurred_at desc, events.seq desc`}
        limit ${q.limit + 1}`);
      const page = found.slice(0, q.limit);
      const last = page.at(-1);
      return {
        items: page.map(
          (r): AcceptedEvent => ({
            id: r.event_id as string,
            event: r.name as string,
            source: r.source as string,
            userId: r.user_id as string | null,
            anonymousId: r.anonymous_id as string | null,
            properties: r.properties as Record<string, unknown>,
            timestamp: new Date(r.occurred_at as string).toISOString(),
          }),
        ),
        nextCursor:
          found.length > q.limit && last
            ? encodeCursor(last.ms as string, last.seq_text as string)
            : null,
      };
    },

    async performance(q) {
      const table = `sample_rollups_${rollupLevel(q.intervalSeconds).suffix}`;
      // In key order (time first): no sort; each interval's rows arrive together and merge.
      const found = await rows<RollupRow>(sql`
        select service, route, extract(epoch from date_bin(make_interval(secs => ${q.intervalSeconds}),
            r.time, timestamptz '1970-01-01T00:00:00Z'))::float8 * 1000 as time,
          requests, errors, hist::text as hist
        from ${sql.identifier(table)} as r
        where r.time >= ${q.from} and r.time < ${q.to} ${q.service ? sql`and service = ${q.service}` : sql``}
        order by r.time`);
      return mergeRollups(found);
    },

    async dailyActiveUsers(r) {
      // Stitched: an event under an anonymous id linked to a user is that user's too.
      const found = await rows<Record<string, unknown>>(sql`
        select d, count(distinct u) as n from (
          select date_trunc('day', occurred_at, 'UTC') as d, user_id as u
          from events where ${inRange(r)} and user_id is not null
          union all
          select date_trunc('day', e.occurred_at, 'UTC'), l.user_id
          from events e join identity_links l on l.anonymous_id = e.anonymous_id
          where e.occurred_at >= ${r.from} and e.occurred_at < ${r.to}
        ) as active group by 1 order by 1`);
      return found.map((x) => ({ day: day(x.d), users: num(x.n) }));
    },

    async topEvents(r, limit) {
      const found = await rows<Record<string, unknown>>(sql`
        select name, count(*) as n from events where ${inRange(r)}
        group by 1 order by 2 desc, 1 limit ${limit}`);
      return found.map((x) => ({ event: x.name as string, count: num(x.n) }));
    },

    async topRoutes(r, limit) {
      const found = await rows<Record<string, unknown>>(sql`
        select service, route, count(*) as n, count(*) filter (where status >= 500) as e
        from samples where ${inRange(r)} group by 1, 2 order by 3 desc, 1, 2 limit ${limit}`);
      return found.map((x) => ({
        service: x.service as string,
        route: x.route as string,
        requests: num(x.n),
        errors: num(x.e),
      }));
    },

    async signups(r) {
      const found = await rows<Record<string, unknown>>(sql`
        select date_trunc('day', occurred_at, 'UTC') as d, count(*) as n
        from events where ${inRange(r)} and name = 'user.registered' group by 1 order by 1`);
      return found.map((x) => ({ day: day(x.d), signups: num(x.n) }));
    },

    async timeline(r, names) {
      const found = await rows<{ t: number; u: string | null; a: string | null; e: string }>(sql`
        select (extract(epoch from occurred_at) * 1000)::float8 as t, user_id as u,
          anonymous_id as a, name as e
        from events
        where ${inRange(r)} and (user_id is not null or anonymous_id is not null)
          and name in (select jsonb_array_elements_text(${JSON.stringify(names)}::jsonb))
        order by occurred_at, seq
        limit ${MAX_TIMELINE_EVENTS + 1}`);
      if (found.length > MAX_TIMELINE_EVENTS) throw new TooManyEvents();
      return found.map((x) => ({ time: x.t, userId: x.u, anonymousId: x.a, event: x.e }));
    },

    forgetUsers: (users, since) => forgetUsers(db, users, since),
    prune: (before) => pruneBefore(db, before, pruneRows),
  };
}
