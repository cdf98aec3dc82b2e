// Queue rows as a pass holds them, and reading them back from the table when they are not in memory.
import type { FastifyBaseLogger } from 'fastify';
import type { Tx } from '../db/index.ts';
import type { Unreadable } from './dead-letters.ts';
import { keptText, readStoredRows, storedRows } from './queue.ts';
import type { Row } from './queue-rows.ts';
import { readRow } from './queue-rows.ts';
import type { EncodedRow } from './writer-batches.ts';
import type { Cached } from './writer-cache.ts';

/** A row as a pass holds it: as the cache keeps one (writer-cache.ts), or why it cannot be read. */
export type Held = Cached | Unreadable;
export const isRow = (row: Held): row is Row => 'item' in row;
export const isEncoded = (row: Held): row is EncodedRow => 'body' in row;
/** A row read back from the table, or why it cannot be (Unreadable's `text`). */
export type Loaded = Row | { error: Error; text: string | undefined };

/**
 * Rows as stored, or why they cannot be read (with what a dead letter keeps of a packed one),
 * for rows this pass holds locked.
 */
export async function load(tx: Tx, seqs: number[]): Promise<Map<number, Loaded>> {
  const loaded = new Map<number, Loaded>();
  if (seqs.length === 0) return loaded;
  const read = await readStoredRows(
    await storedRows(tx, seqs),
    (r, text): Row => ({
      seq: r.seq,
      kind: r.kind,
      item: readRow(r.kind, text),
      point: r.point,
    }),
  );
  for (const r of read) {
    if ('error' in r) {
      loaded.set(r.row.seq, {
        error: r.error,
        text: r.row.item === null ? keptText(r.row) : undefined,
      });
    } else loaded.set(r.seq, r);
  }
  return loaded;
}

export function stored(
  head: Pick<Row, 'seq' | 'kind'>,
  loaded: Map<number, Loaded>,
  log: FastifyBaseLogger,
): Held {
  const row = loaded.get(head.seq);
  // A row this pass holds locked cannot vanish: failing the pass beats deleting it unwritten.
  if (!row) throw new Error(`queue row ${head.seq} could not be read`);
  if ('error' in row) {
    log.error({ err: row.error, seq: head.seq }, 'a queue row cannot be read; set aside');
    return { seq: head.seq, kind: head.kind, unreadable: row.error.message, text: row.text };
  }
  return row;
}
