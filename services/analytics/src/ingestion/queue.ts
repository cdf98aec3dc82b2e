import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/index.ts';
import type { AcceptedEvent, Sample } from './types.ts';

/**
 * Appends to the durable queue in the caller's transaction; the writer takes it from there. The
 * batch travels as one JSON parameter: PostgreSQL parses it once instead of planning an insert
 * with thousands of bind parameters, which is most of the cost of a 500-event batch.
 */
async function append(tx: Tx | Db, kind: 'event' | 'sample', items: object[]): Promise<void> {
  if (items.length === 0) return;
  await tx.execute(
    sql`insert into queue (kind, item)
        select ${kind}, value from jsonb_array_elements(${JSON.stringify(items)}::jsonb)`,
  );
}

export const enqueueEvents = (tx: Tx | Db, events: AcceptedEvent[]) => append(tx, 'event', events);
export const enqueueSamples = (tx: Tx | Db, samples: Sample[]) => append(tx, 'sample', samples);
