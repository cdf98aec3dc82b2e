import { and, asc, desc, eq, gt, inArray, lt, lte, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/index.ts';
import { ROW_LOCK_WAIT_MS, withLockWait } from '../db/lock-waits.ts';
import { pseudonymsOf } from '../db/pseudonym-lookup.ts';
import {
  cutOutsideIds,
  unlinkRowText,
  unlinkText,
  uuidsIn,
  withoutElidedIds,
} from '../pseudonyms.ts';
import { storableText } from '../storable.ts';
import type { PointNumbers } from './point-numbers.ts';
import type { Row } from './queue-rows.ts';
import { readRow } from './queue-rows.ts';
import { packRowAsync } from './row-packing.ts';
import { ingestionDeadLetters as deadLetters } from './tables.ts';
import type { Item } from './writer-batches.ts';

/** An item the store refused, and what it said. */
export type Refused = Item & { error: string };

/** A queue row whose stored text is not a list of items: kept whole, as it was. */
export interface Unreadable {
  seq: number;
  kind: Row['kind'];
  unreadable: string;
  /**
   * What the dead letter keeps of a packed row (queue.ts keptText): its text unpacked, or its
   * bytes in hex. Undefined for a text row, whose text is copied as it is.
   */
  text?: string | undefined;
}

/**
 * A store's message may quote the refused text itself, and JSON.parse's a window of a row that
 * cannot be read: made storable, and kept short, never cut inside a user id (pseudonyms.ts
 * cutOutsideIds, withoutElidedIds).
 */
const said = (error: string) => storableText(cutOutsideIds(withoutElidedIds(error), 500));

/**
 * Sets refused items and unreadable rows aside, in the writer's transaction, before their rows
 * leave the queue. An item goes in the general `event` (or `sample`) form of a queue row, without
 * the number the writer gave it: replaying it is queueing it again. Resolves to how many.
 */
export async function setAside(tx: Tx, refused: Refused[], unreadable: Unreadable[]) {
  if (refused.length) {
    await tx.insert(deadLetters).values(
      refused.map(({ row, value, error }) => {
        // Without its message id's key: it took its id (losers are never written), so its
        // replay is written as it is, not claimed again against itself.
        const { seq: _, key: __, point: ___, ...item } = value;
        return {
          queueSeq: row.seq,
          kind: row.kind === 'sample' ? ('sample' as const) : ('event' as const),
          item: JSON.stringify([item]),
          error: said(error),
        };
      }),
    );
  }
  for (const row of unreadable) {
    // A text row's text is copied within the server, whatever it held. Dead letters stay text
    // (a packed row's unpacked): they are few, kept for RETENTION_DAYS, shown and replayed.
    await tx.execute(sql`insert into ingestion_dead_letters (queue_seq, kind, item, error)
      select seq, kind, coalesce(item, ${row.text ?? null}), ${said(row.unreadable)} from queue
      where seq = ${row.seq}`);
  }
  return refused.length + unreadable.length;
}

export type DeadLetter = typeof deadLetters.$inferSelect;

export function listDeadLetters(
  db: Db | Tx,
  options: { before?: number | undefined; limit: number },
) {
  return db
    .select()
    .from(deadLetters)
    .where(options.before === undefined ? undefined : lt(deadLetters.id, options.before))
    .orderBy(desc(deadLetters.id))
    .limit(options.limit);
}

/**
 * Dead letters as listed: with the pseudonym of every user being forgotten (forgotten_users) for
 * their id, in the text and in what the store said, as the destinations' dead letters are listed
 * (destinations/forget.ts unlinkedForSending). One set aside after the user's eager minute (a late
 * event the store refused) holds the id until the final pass rewrites it, and was listed so. One
 * indexed query for the UUIDs the page mentions (a forgotten id is one, noted in lower case:
 * forget.ts rememberDeletions); none when it mentions none.
 */
export async function unlinkedForListing(
  db: Db | Tx,
  letters: DeadLetter[],
): Promise<DeadLetter[]> {
  const mentioned = new Set<string>();
  for (const letter of letters) {
    for (const text of [letter.item, letter.error]) {
      for (const id of uuidsIn(text)) mentioned.add(id.toLowerCase());
    }
  }
  const ids = await pseudonymsOf(db, mentioned);
  if (ids.size === 0) return letters;
  return letters.map((letter) => ({
    ...letter,
    item: unlinkRowText(letter.kind, letter.item, ids),
    error: unlinkText(letter.error, ids),
  }));
}

/**
 * A refused item without its message id's key. setAside leaves it out, but the previous version
 * kept it: claimed again on replay, the id the item itself took would be found taken and the
 * item dropped (review). Anything else (a row kept whole because it could not be read) as it is.
 */
function withoutKeys(kind: DeadLetter['kind'], text: string): string {
  if (kind !== 'event' || !text.includes('"key"')) return text;
  let items: unknown;
  try {
    items = JSON.parse(text);
  } catch {
    return text;
  }
  if (!Array.isArray(items)) return text;
  return JSON.stringify(
    items.map((item) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
      const { key: _, ...rest } = item as Record<string, unknown>;
      return rest;
    }),
  );
}

/** How many items a dead letter's text holds as a queue row; null when it cannot be read. */
function itemCount(kind: DeadLetter['kind'], text: string): number | null {
  try {
    return readRow(kind, text).length;
  } catch {
    return null;
  }
}

/**
 * Back into the queue as a new row, with point numbers of its own (a row that cannot be read gets
 * none: the writer sets it aside again), in one transaction; false when there is no such one.
 *
 * Read, numbered and packed before the transaction begins (see numbered, queue.ts packRows). A
 * forgetting pass may rewrite the letter meanwhile (unlinkDeadLetters: a user id for a
 * pseudonym, the items the same): the transaction deletes the letter only as it was read (the
 * same row version, by xmin), so the text queued is the one deleted and a replay never brings
 * the id back; a letter rewritten in between is read, numbered and packed again, outside. (It
 * was packed again inside the transaction, holding a pooled connection idle meanwhile.)
 */
export async function requeue(db: Db, id: number, points: PointNumbers): Promise<boolean> {
  for (;;) {
    const [letter] = await db
      .select({ kind: deadLetters.kind, item: deadLetters.item, version: sql<string>`xmin::text` })
      .from(deadLetters)
      .where(eq(deadLetters.id, id));
    if (!letter) return false;
    const text = withoutKeys(letter.kind, letter.item);
    const count = itemCount(letter.kind, text);
    // An undone try's numbers go unused (see numbered).
    const base = count === null ? null : await points.take(count);
    const packed = await packRowAsync(text);
    const queued = await db.transaction(async (tx) => {
      const gone = await tx
        .delete(deadLetters)
        .where(and(eq(deadLetters.id, id), sql`xmin::text = ${letter.version}`))
        .returning({ id: deadLetters.id });
      if (gone.length === 0) return false;
      await tx.execute(
        sql`insert into queue (kind, packed, point_base)
            values (${letter.kind}, ${packed}, ${base})`,
      );
      return true;
    });
    // Not deleted: gone (replayed or discarded meanwhile) or rewritten; the next read tells.
    if (queued) return true;
  }
}

export async function discard(db: Db, id: number): Promise<boolean> {
  const gone = await db
    .delete(deadLetters)
    .where(eq(deadLetters.id, id))
    .returning({ id: deadLetters.id });
  return gone.length > 0;
}

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

/** Dead letters the hourly clean-up deletes per statement at most. */
const PRUNED_PER_STATEMENT = 5000;

/**
 * Deletes the dead letters set aside before `before`, their rows locked in id order, as a
 * forgetting pass's page locks them (unlinkDeadLetters): deleted in the heap's order, which a
 * rewrite changes, the two could each hold a row the other waited for, and one of them failed.
 * `batch` at a time, each statement its own transaction: a day of everything refused is millions
 * of letters, which one statement deleted past the statement timeout, undone whole, and again
 * every hour with more of them (review); a batch also holds its locks for moments, not minutes.
 */
export async function pruneDeadLetters(db: Db, before: Date, batch = PRUNED_PER_STATEMENT) {
  for (;;) {
    const gone = await db
      .delete(deadLetters)
      .where(
        inArray(
          deadLetters.id,
          db
            .select({ id: deadLetters.id })
            .from(deadLetters)
            .where(lt(deadLetters.createdAt, before))
            .orderBy(asc(deadLetters.id))
            .limit(batch)
            .for('update'),
        ),
      );
    // The limit counts the rows locked (one a replay deleted meanwhile is passed over, one a
    // forgetting pass rewrote is deleted as it is now): a short batch is the last.
    if ((gone.rowCount ?? 0) < batch) return;
  }
}
