// A forgetting pass over the ingestion dead letters (forget.ts): deleted users' ids rewritten
// to their pseudonyms, in pages bounded by letters and bytes.
import { and, asc, gt, inArray, lte, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/index.ts';
import { ROW_LOCK_WAIT_MS, withLockWait } from '../db/lock-waits.ts';
import { unlinkRowText, unlinkText } from '../pseudonyms.ts';
import { ingestionDeadLetters as deadLetters } from './tables.ts';

/** Dead letters a pass rewrites per transaction at most (by id). */
const LETTERS_PER_PAGE = 500;
/**
 * And at most this many bytes of them (at least one letter): a letter can be a whole queue row,
 * up to the 5 MB body limit, and 500 of those at once were gigabytes in the process's memory —
 * it ran out at every pass that met them.
 */
const PAGE_BYTES = 8 * 1024 * 1024;
/**
 * Letters, and bytes of their text, a pass searches per statement at most (at least one letter):
 * the search reads the whole text of every letter, and over the whole table in one statement a
 * day of everything refused (gigabytes) ran past the statement timeout at every tick (review).
 */
const LETTERS_PER_SEARCH = 5000;
const SEARCH_BYTES = 64 * 1024 * 1024;

/**
 * Rewrites deleted users' dead letters with their pseudonym (forget.ts), so that none keeps the
 * id and a replay writes the pseudonym. A dead letter is text in the form of a queue row (`event`,
 * `track` or `sample`); a user id is a UUID, which JSON never escapes, so replacing it in the
 * text (in any case) covers the user id of every form (a `track` row's first element, an item's
 * `userId`) and any mention in the properties alike — never inside an escape, whose letters may
 * begin an id the value does not hold (pseudonyms.ts unlinkRowText: the `event` form's
 * properties, JSON text in a string, as JSON of their own). In JavaScript, not SQL: replaced in
 * the row's text at once, as the SQL passes do, an escape's lookalike in those properties left
 * them no longer JSON (a replay set aside again). What the store said is rewritten too:
 * InfluxDB quotes a line it cannot parse, user_id and all. A row kept as the hex of bytes that
 * could not be unpacked cannot be read, and is left as it is.
 *
 * Searched a range of letters at a time (SEARCH_BYTES at most), what is found rewritten
 * LETTERS_PER_PAGE and PAGE_BYTES at a time at most, each page its own transaction, its rows
 * locked as read (a replay deletes a letter only as it read it: requeue).
 * A row lock waits ROW_LOCK_WAIT_MS at most (a replay or a deletion of a dead letter stuck
 * mid-transaction made the pass wait out the statement timeout); the pass then leaves the
 * rewrite for a later tick (forget.ts).
 */
export async function unlinkDeadLetters(
  db: Db,
  users: { userId: string; pseudonym: string }[],
  lockWaitMs = ROW_LOCK_WAIT_MS,
  searchBytes = SEARCH_BYTES,
) {
  if (users.length === 0) return;
  const ids = new Map(users.map((u) => [u.userId.toLowerCase(), u.pseudonym] as const));
  const mentions = sql.param([...ids.keys()].map((id) => `%${id}%`));
  for (let after = 0; ; ) {
    // The next range of letters, by their sizes: octet_length reads a stored text's size, not
    // the text.
    const { rows } = await db.execute<{ last: number | null }>(sql`
      select max(id)::float8 as last from (
        select id, row_number() over (order by id) as n,
          sum(octet_length(item) + octet_length(error)) over (order by id) as up_to
        from ingestion_dead_letters where id > ${after}
        order by id limit ${LETTERS_PER_SEARCH}
      ) as sized
      where up_to <= ${searchBytes} or n = 1`);
    const last = rows[0]?.last;
    if (last == null) return;
    // Those of the range that mention a user, with their sizes: searched once, then rewritten a
    // page at a time (searched again for each page, 500 letters of 5 MB were read once per
    // page, 2.5 GB 500 times; review).
    const found = await db
      .select({
        id: deadLetters.id,
        size: sql<number>`octet_length(${deadLetters.item}) + octet_length(${deadLetters.error})`,
      })
      .from(deadLetters)
      .where(
        and(
          gt(deadLetters.id, after),
          lte(deadLetters.id, last),
          sql`(lower(${deadLetters.item}) like any(${mentions}::text[])
            or lower(${deadLetters.error}) like any(${mentions}::text[]))`,
        ),
      )
      .orderBy(asc(deadLetters.id));
    for (const page of byBytes(found)) {
      await withLockWait(db, (tx) => rewritePage(tx, page, ids), lockWaitMs);
    }
    // One replayed meanwhile is gone, one set aside meanwhile comes after: the search moves on.
    after = last;
  }
}

/**
 * Consecutive runs of `letters` of LETTERS_PER_PAGE and PAGE_BYTES at most, the first of each
 * whatever its size.
 */
function byBytes(letters: { id: number; size: number }[]): number[][] {
  const pages: number[][] = [];
  let bytes = 0;
  for (const { id, size } of letters) {
    const page = pages.at(-1);
    if (page && page.length < LETTERS_PER_PAGE && bytes + size <= PAGE_BYTES) {
      page.push(id);
      bytes += size;
    } else {
      pages.push([id]);
      bytes = size;
    }
  }
  return pages;
}

/** The letters `page` names, locked, read and rewritten (those still there and changed). */
async function rewritePage(tx: Tx, page: number[], ids: Map<string, string>) {
  const letters = await tx
    .select({
      id: deadLetters.id,
      kind: deadLetters.kind,
      item: deadLetters.item,
      error: deadLetters.error,
    })
    .from(deadLetters)
    .where(inArray(deadLetters.id, page))
    .orderBy(asc(deadLetters.id))
    .for('update');
  const rewritten = letters
    .map((l) => ({
      id: l.id,
      item: unlinkRowText(l.kind, l.item, ids),
      error: unlinkText(l.error, ids),
      was: l,
    }))
    .filter((l) => l.item !== l.was.item || l.error !== l.was.error);
  // One statement for the page, not one per letter.
  if (rewritten.length > 0) {
    await tx.execute(sql`update ingestion_dead_letters d set item = v.item, error = v.error
      from unnest(${sql.param(rewritten.map((l) => l.id))}::bigint[],
        ${sql.param(rewritten.map((l) => l.item))}::text[],
        ${sql.param(rewritten.map((l) => l.error))}::text[]) as v(id, item, error)
      where d.id = v.id`);
  }
}
