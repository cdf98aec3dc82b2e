import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/index.ts';
import type { AcceptedEvent, Sample } from './types.ts';

/** Items per queue row at most: every endpoint's batch limit is at or below it. */
export const ROW_ITEMS = 1000;

/** The stable number of the `index`th item of queue row `seq`, which makes writes idempotent. */
export const itemSeq = (seq: number, index: number) => seq * ROW_ITEMS + index;

/**
 * Appends one accepted request to the durable queue in the caller's transaction, as one row
 * holding its items: one small insert per request instead of one row per event is what lets
 * ingestion keep up with the store. The writer takes it from there.
 */
async function append(tx: Tx | Db, kind: 'event' | 'sample', items: object[]): Promise<void> {
  if (items.length === 0) return;
  if (items.length > ROW_ITEMS) throw new Error(`at most ${ROW_ITEMS} items per queue row`);
  await tx.execute(
    sql`insert into queue (kind, item) values (${kind}, ${JSON.stringify(items)}::jsonb)`,
  );
}

export const enqueueEvents = (tx: Tx | Db, events: AcceptedEvent[]) => append(tx, 'event', events);
export const enqueueSamples = (tx: Tx | Db, samples: Sample[]) => append(tx, 'sample', samples);
