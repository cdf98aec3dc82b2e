import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/index.ts';
import type { AcceptedEvent, Sample } from './types.ts';
import type { Row } from './writer-batches.ts';

/** Items per queue row at most: every endpoint's batch limit is at or below it. */
export const ROW_ITEMS = 1000;

/** The stable number of the `index`th item of queue row `seq`, which makes writes idempotent. */
export const itemSeq = (seq: number, index: number) => seq * ROW_ITEMS + index;

/**
 * Appends one accepted request to the durable queue in the caller's transaction, as one row
 * holding its items: one small insert per request instead of one row per event is what lets
 * ingestion keep up with the store. The column is text, stored as sent and uncompressed:
 * PostgreSQL spends nothing on what lives only until the writer has moved it.
 */
async function append(
  tx: Tx | Db,
  kind: Row['kind'],
  items: Row['item'],
): Promise<Row | undefined> {
  if (items.length === 0) return undefined;
  if (items.length > ROW_ITEMS) throw new Error(`at most ${ROW_ITEMS} items per queue row`);
  const { rows } = await tx.execute<{ seq: number }>(
    sql`insert into queue (kind, item) values (${kind}, ${JSON.stringify(items)})
        returning seq::float8 as seq`,
  );
  return { seq: rows[0]!.seq, kind, item: items };
}

/**
 * Events as queued: `properties` travels as its JSON text (given, when the caller already has
 * it), so neither the queue nor the writer walks the object again.
 */
export const enqueueEvents = (tx: Tx | Db, events: AcceptedEvent[], propertiesJson?: string[]) =>
  append(
    tx,
    'event',
    events.map((e, i) => ({
      ...e,
      properties: propertiesJson?.[i] ?? JSON.stringify(e.properties),
    })),
  );

export const enqueueSamples = (tx: Tx | Db, samples: Sample[]) =>
  append(tx, 'sample', samples as unknown as Row['item']);
