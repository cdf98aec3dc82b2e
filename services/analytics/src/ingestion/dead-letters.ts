import { and, asc, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/index.ts';
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
