import { isStatementTimeout } from '@platform/db';
import { DomainError } from '@platform/http';
import { type SQL, sql } from 'drizzle-orm';
import pg from 'pg';
import type { Db } from '../db/index.ts';
import { withLockWait } from '../db/lock-waits.ts';
import type { AcceptedEvent } from '../events.ts';
import { unlinkedSql } from '../pseudonyms.ts';
import { decodeCursor, encodeCursor, POSTGRES_CURSOR } from './cursor.ts';
import { StoreRejected, StoreUnavailable, TooManyEvents } from './errors.ts';
import { BUCKET_SQL } from './histogram.ts';
import { mergeRollups, ROLLUP_LEVELS, type RollupRow, rollupLevel } from './rollups.ts';
import { MAX_TIMELINE_EVENTS, type Range, type Store } from './types.ts';

/** Rows per statement. */
const CHUNK = 5000;
/** Rows one statement of the hourly pruning deletes at most. */
export const PRUNE_ROWS = 10_000;
/** Blocks one statement of a full forgetting pass reads: 80 MB, about 150,000 events. */
const SWEEP_PAGES = 10_000;

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
  /**
   * Rewrites the rows of `table` that `match`: those written since the mark, by its index, or
   * all of them SWEEP_PAGES blocks at a time, so no statement of a pass over a large table runs
   * into the statement timeout (a pass that did would fail, and fail again every tick). Each
   * statement waits ROW_LOCK_WAIT_MS at most for a row (a write of the writer's stuck
   * mid-transaction made the pass wait out the statement timeout, the forgetting tick held as
   * long): the pass fails then, and a later tick does it again.
   */
  const sweep = async (table: 'events' | 'samples', set: SQL, match: SQL, since?: string) => {
    const t = sql.identifier(table);
    // A rewritten row is written again (a new write_xid): one that a concurrent pass for other
    // users moved past the blocks this one reads is then newer than this pass's mark.
    const update = async (where: SQL) =>
      (
        await withLockWait(db, (tx) =>
          tx.execute(sql`update ${t} set ${set}, write_xid = pg_current_xact_id()
            where ${where} and (${match})`),
        )
      ).rowCount ?? 0;
    if (since !== undefined) return update(sql`write_xid >= ${since}::xid8`);
    // By block (a TID range scan reads them in order, as a sequential scan does). Rows moved
    // or added past the size read here are written after the mark: the next pass has them.
    const { rows: size } = await db.execute<{ pages: string }>(sql`
      select (pg_relation_size(${table}::regclass) / current_setting('block_size')::int)::text
        as pages`);
    const pages = Number(size[0]?.pages ?? 0);
    let rewritten = 0;
    for (let from = 0; from < pages; from += SWEEP_PAGES) {
      rewritten += await update(
        sql`ctid >= ${`(${from},0)`}::tid and ctid < ${`(${from + SWEEP_PAGES},0)`}::tid`,
      );
    }
    return rewritten;
  };
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

    // The properties are searched as text: an id may sit under any key (author_id, actor_id…),
    // so without `since` this reads the whole table, once for all the users given. Every row
    // carries the id of the transaction that wrote it (write_xid, indexed, migration 0011): the
    // mark is the oldest transaction still running before this pass looked, so every row of an
    // older one was visible to it, and a later pass given the mark reads only the rows at or
    // after it — those of writes that may have been invisible then, and everything since.
    async forgetUsers(users, since) {
      if (users.length === 0) return { rewritten: 0 };
      const [first] = await db
        .execute<{ mark: string }>(
          sql`select pg_snapshot_xmin(pg_current_snapshot())::text as mark`,
        )
        .then((r) => r.rows);
      // A row's own user id in any case too: a Segment backend may send the UUID upper-cased,
      // and it is stored as sent. The pass reads rows by write_xid or by block, never by user
      // id, so `lower()` costs no index (and the hot writes no index of their own).
      const ids = sql.param(users.map((u) => u.userId.toLowerCase()));
      const pseudonymIn = (column: 'user_id' | 'anonymous_id') =>
        sql`case lower(${sql.identifier(column)}) ${sql.join(
          users.map((u) => sql`when ${u.userId.toLowerCase()} then ${u.pseudonym}`),
          sql` `,
        )} else ${sql.identifier(column)} end`;
      const userIds = pseudonymIn('user_id');
      // Never inside an escape (`\u001a`, `\b`): the text then stays JSON (pseudonyms.ts).
      const text = unlinkedSql(sql`properties::text`, users);
      // In any case, as unlinkedSql replaces them: a UUID is the same in upper case.
      const mentions = sql.param(users.map((u) => `%${u.userId.toLowerCase()}%`));
      // An anonymous id too: clients often send the signed-in user's id as theirs (some SDKs
      // set it so after `identify`), and it is the id all the same, read back by /user-activity,
      // funnels and exports.
      const events = await sweep(
        'events',
        sql`user_id = ${userIds}, anonymous_id = ${pseudonymIn('anonymous_id')},
          properties = (${text})::jsonb`,
        sql`lower(user_id) = any(${ids}::text[]) or lower(anonymous_id) = any(${ids}::text[])
          or lower(properties::text) like any(${mentions}::text[])`,
        since,
      );
      const samples = await sweep(
        'samples',
        sql`user_id = ${userIds}`,
        sql`lower(user_id) = any(${ids}::text[])`,
        since,
      );
      return { rewritten: events + samples, ...(first ? { mark: first.mark } : {}) };
    },

    // PRUNE_ROWS per statement: in one, lowering RETENTION_DAYS on a large store (weeks of
    // events due at once) ran past the statement timeout, was undone whole, and did so again at
    // every hourly run. Rows in the order a BRIN bitmap scan reads them, the heap's, as the
    // forgetting sweep's block ranges lock them.
    async prune(before) {
      const tables = [
        ['events', 'occurred_at'],
        ['samples', 'occurred_at'],
        ...ROLLUP_LEVELS.map(({ suffix }) => [`sample_rollups_${suffix}`, 'time']),
      ] as const;
      for (const [table, time] of tables) {
        const t = sql.identifier(table);
        for (;;) {
          const { rowCount } = await db.execute(sql`delete from ${t} where ctid = any(array(
            select ctid from ${t} where ${sql.identifier(time)} < ${before} limit ${pruneRows}))`);
          if ((rowCount ?? 0) < pruneRows) break;
        }
      }
    },
  };
}
