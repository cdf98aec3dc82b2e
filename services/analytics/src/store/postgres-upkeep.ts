// The PostgreSQL store's upkeep: deleted users' ids rewritten (forgetUsers), rows past retention
// deleted (pruneBefore). Both in bounded statements, in the heap's order.
import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { withLockWait } from '../db/lock-waits.ts';
import { unlinkedSql } from '../pseudonyms-sql.ts';
import { ROLLUP_LEVELS } from './rollups.ts';
import type { Store } from './types.ts';

/** Rows one statement of the hourly pruning deletes at most. */
export const PRUNE_ROWS = 10_000;
/** Blocks one statement of a full forgetting pass reads: 80 MB, about 150,000 events. */
const SWEEP_PAGES = 10_000;

/**
 * Rewrites the rows of `table` that `match`: those written since the mark, by its index, or
 * all of them SWEEP_PAGES blocks at a time, so no statement of a pass over a large table runs
 * into the statement timeout (a pass that did would fail, and fail again every tick). Each
 * statement waits ROW_LOCK_WAIT_MS at most for a row (a write of the writer's stuck
 * mid-transaction made the pass wait out the statement timeout, the forgetting tick held as
 * long): the pass fails then, and a later tick does it again.
 */
async function sweep(
  db: Db,
  table: 'events' | 'samples',
  set: SQL,
  match: SQL,
  since?: string,
): Promise<number> {
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
}

// The properties are searched as text: an id may sit under any key (author_id, actor_id…),
// so without `since` this reads the whole table, once for all the users given. Every row
// carries the id of the transaction that wrote it (write_xid, indexed, migration 0011): the
// mark is the oldest transaction still running before this pass looked, so every row of an
// older one was visible to it, and a later pass given the mark reads only the rows at or
// after it — those of writes that may have been invisible then, and everything since.
export async function forgetUsers(
  db: Db,
  users: { userId: string; pseudonym: string }[],
  since?: string,
): ReturnType<Store['forgetUsers']> {
  if (users.length === 0) return { rewritten: 0 };
  const [first] = await db
    .execute<{ mark: string }>(sql`select pg_snapshot_xmin(pg_current_snapshot())::text as mark`)
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
    db,
    'events',
    sql`user_id = ${userIds}, anonymous_id = ${pseudonymIn('anonymous_id')},
      properties = (${text})::jsonb`,
    sql`lower(user_id) = any(${ids}::text[]) or lower(anonymous_id) = any(${ids}::text[])
      or lower(properties::text) like any(${mentions}::text[])`,
    since,
  );
  const samples = await sweep(
    db,
    'samples',
    sql`user_id = ${userIds}`,
    sql`lower(user_id) = any(${ids}::text[])`,
    since,
  );
  return { rewritten: events + samples, ...(first ? { mark: first.mark } : {}) };
}

// PRUNE_ROWS per statement: in one, lowering RETENTION_DAYS on a large store (weeks of
// events due at once) ran past the statement timeout, was undone whole, and did so again at
// every hourly run. Rows in the order a BRIN bitmap scan reads them, the heap's, as the
// forgetting sweep's block ranges lock them.
export async function pruneBefore(db: Db, before: Date, pruneRows = PRUNE_ROWS): Promise<void> {
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
}
