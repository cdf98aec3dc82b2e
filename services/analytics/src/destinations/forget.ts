import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/index.ts';
import { leftBy, ROW_LOCK_WAIT_MS, withLockWait } from '../db/lock-waits.ts';
import { pseudonymsOf } from '../db/pseudonym-lookup.ts';
import { unlinkText, uuidsIn } from '../pseudonyms.ts';
import { unlinkedSql } from '../pseudonyms-sql.ts';
import type { Delivery } from './repository.ts';
import { withTableLock } from './table-lock.ts';

export { FINAL_LOCK_TRY_MS } from './table-lock.ts';

/**
 * The deletion notice keeps the id it announces: it is how a destination learns whom to erase
 * of what it already holds (rewritten, it would name a pseudonym the destination never saw).
 */
const NOTICE = 'user.deleted';

/**
 * Deliveries about to be sent, with the pseudonym of every user being forgotten
 * (forgotten_users) for their id — in `userId` and anywhere in the properties, as the stores
 * get them, an `anonymousId` that is the id included (the text is rewritten); another anonymous
 * id stays, as there. Looked up in the table, not in the writer's lookup
 * (refreshed every 2 s, per replica): a delivery claimed after the deletion committed never
 * goes out with the id. One indexed query for the ids the payloads mention; none when they
 * mention no UUID.
 */
export async function unlinkedForSending(db: Db | Tx, rows: Delivery[]): Promise<Delivery[]> {
  const texts = rows.map((r) => (r.event === NOTICE ? null : JSON.stringify(r.payload)));
  const mentioned = new Set<string>();
  // As written and in lower case (auth's ids are): a UUID is the same in any case.
  for (const text of texts) {
    for (const id of text ? uuidsIn(text) : []) mentioned.add(id).add(id.toLowerCase());
  }
  const ids = await pseudonymsOf(db, mentioned);
  if (ids.size === 0) return rows;
  return rows.map((row, i) => {
    const text = texts[i];
    const out = text ? unlinkText(text, ids) : text;
    return out === text || !out ? row : { ...row, payload: JSON.parse(out) };
  });
}

/** Rows of destination_deliveries one statement of a pass reads at most (by id). */
const SWEEP_ROWS = 5000;

/**
 * Rewrites the users' pending and dead deliveries with their pseudonym (each forgetting pass,
 * forget.ts), so that once the mapping is gone none keeps the id: a retry hours later or a dead
 * letter's replay sends the pseudonym. A UUID is never escaped in JSON, so replacing it in the
 * text (never inside an escape: unlinkedSql) covers `userId` and every mention in the
 * properties. The deletion notice stays as it is.
 *
 * The id may be anywhere in a payload, so every row is read: SWEEP_ROWS at a time, in id order
 * (an id never changes, so a row the worker updates meanwhile is not skipped), each range its
 * own statement. In one, a large table (a receiver down for hours, a destination refusing an
 * event for the retention's weeks) ran past QUERY_TIMEOUT_MS, failing every pass, and held the
 * lock of each row it matched until the end.
 *
 * Each statement waits `lockWaitMs` at most for a row (a worker's or a request's transaction
 * stuck holding a delivery made it wait out the statement timeout, the tick held as long), then
 * ForgettingLeft: the pass leaves the rest for a later tick — the final one keeps the mapping —
 * and is not taken for the final pass's wait on the table (ingestion/forget.ts deliveriesHeld),
 * which pauses the final passes.
 */
export async function unlinkDeliveries(
  db: Db,
  users: { userId: string; pseudonym: string }[],
  upTo = Number.MAX_SAFE_INTEGER,
  from = 0,
  lockWaitMs = ROW_LOCK_WAIT_MS,
) {
  if (users.length === 0) return;
  const replaced = unlinkedSql(sql`payload::text`, users);
  const mentions = sql.param(users.map((u) => `%${u.userId.toLowerCase()}%`));
  for (let after = from; ; ) {
    const { rows } = await withLockWait(db, (tx) => sweepRange(tx, after), lockWaitMs).catch(
      (error: unknown) => {
        throw leftBy('deliveries_left', error);
      },
    );
    const last = rows[0]?.last;
    if (last === null || last === undefined) return;
    after = Number(last);
  }

  function sweepRange(tx: Tx, after: number) {
    return tx.execute<{ last: string | null }>(sql`
      with range as (
        select max(id) as last from (
          select id from destination_deliveries where id > ${after} and id <= ${upTo}
          order by id limit ${SWEEP_ROWS}
        ) ids
      ), rewritten as (
        update destination_deliveries set payload = (${replaced})::jsonb
        where id > ${after} and id <= (select last from range)
          and event <> ${NOTICE} and lower(payload::text) like any(${mentions}::text[])
      )
      select last::text from range`);
  }
}

/**
 * How long the final pass keeps asking for the table's lock, by default (`lockTimeoutMs` of
 * unlinkDeliveriesFinally; the forgetting worker's `lockTimeoutMs`, ingestion/forget.ts). Past
 * it the pass fails (lock_not_available), keeps the mapping and tries again later.
 */
export const FINAL_LOCK_TIMEOUT_MS = 5000;

/**
 * Rows above the last barrier a final pass leaves for its transaction under SHARE ROW EXCLUSIVE
 * at most (unless writes outpace the sweeps, FINAL_ROUNDS): more and it sweeps once more first.
 */
export const FINAL_TAIL_ROWS = 1000;

/**
 * Barrier-and-sweep rounds of a final pass at most. Each sweeps what was written during the one
 * before, so they shrink unless writes outpace the sweep; then the last tail is rewritten under
 * the lock whatever its size, so that the pass ends.
 */
const FINAL_ROUNDS = 8;

/**
 * A final pass's rewrite, which ends with `remove` deleting the mapping: no delivery committed
 * before the mapping's deletion keeps a user's id (the worker looks ids up in the mapping until
 * then, and a row committed after it is an event queued after the mapping is gone). The sweep
 * above cannot promise that alone: a transaction accepting an event that names the user may
 * commit its delivery after the sweep read that row's range.
 *
 * So: first a barrier (a moment's SHARE lock on destination_deliveries, which waits for every
 * transaction writing it to end) notes the last id; every row up to it is committed, and every
 * later one is numbered above it (ids are drawn as a row is inserted, under the table's lock).
 * The sweep rewrites the rows up to that id without holding anyone up. While more than
 * FINAL_TAIL_ROWS were written meanwhile (above the barrier, counted again under the lock
 * below), another barrier and a sweep of those: on a large, busy table a long sweep leaves
 * many, and the rewrite under the lock holds every write of deliveries up for as long as it
 * takes. Then one transaction takes the table in SHARE ROW EXCLUSIVE mode (no delivery is
 * written meanwhile; two replicas' final passes take turns), rewrites the rows above the last
 * barrier — the few written since, by their primary key — and deletes the mapping with
 * `remove`. The worker's claims wait for it too, and the worker looks ids up in the claim's
 * transaction (worker.ts), so none reads a row before this rewrite and the mapping after its
 * deletion.
 */
export async function unlinkDeliveriesFinally(
  db: Db,
  users: { userId: string; pseudonym: string }[],
  remove: (tx: Tx) => Promise<void>,
  lockTimeoutMs = FINAL_LOCK_TIMEOUT_MS,
): Promise<void> {
  const replaced = unlinkedSql(sql`payload::text`, users);
  const mentions = sql.param(users.map((u) => `%${u.userId.toLowerCase()}%`));
  let swept = 0;
  for (let round = 1; ; round++) {
    const barrier = await withTableLock(db, 'share', lockTimeoutMs, async (tx) => {
      const { rows } = await tx.execute<{ last: string }>(
        sql`select coalesce(max(id), 0)::text as last from destination_deliveries`,
      );
      return Number(rows[0]!.last);
    });
    await unlinkDeliveries(db, users, barrier, swept);
    swept = barrier;
    const last = round >= FINAL_ROUNDS;
    if (!last && (await writtenAbove(db, swept)) > FINAL_TAIL_ROWS) continue;
    const done = await withTableLock(db, 'share row exclusive', lockTimeoutMs, async (tx) => {
      // Counted again under the lock: rows written while the pass asked for it (tries for up
      // to lockTimeoutMs) are part of the tail too. Too many: let go, sweep once more.
      if (!last && (await writtenAbove(tx, swept)) > FINAL_TAIL_ROWS) return false;
      await tx.execute(sql`
        update destination_deliveries set payload = (${replaced})::jsonb
        where id > ${swept} and event <> ${NOTICE}
          and lower(payload::text) like any(${mentions}::text[])`);
      await remove(tx);
      return true;
    });
    if (done) return;
  }
}

/** Rows above `id`, counted up to FINAL_TAIL_ROWS + 1 (by the primary key). */
async function writtenAbove(db: Db | Tx, id: number): Promise<number> {
  const { rows } = await db.execute<{ n: number }>(sql`
    select count(*)::int as n from (
      select 1 from destination_deliveries where id > ${id} limit ${FINAL_TAIL_ROWS + 1}
    ) above`);
  return rows[0]!.n;
}
