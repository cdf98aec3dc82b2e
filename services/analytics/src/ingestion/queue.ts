import type { Db, Tx } from '../db/index.ts';
import { queue } from '../db/schema.ts';
import type { AcceptedEvent, Sample } from './types.ts';

/** Appends to the durable queue in the caller's transaction; the writer takes it from there. */
export async function enqueueEvents(tx: Tx | Db, events: AcceptedEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.insert(queue).values(events.map((e) => ({ kind: 'event' as const, item: { ...e } })));
}

export async function enqueueSamples(db: Tx | Db, samples: Sample[]): Promise<void> {
  if (samples.length === 0) return;
  await db.insert(queue).values(samples.map((s) => ({ kind: 'sample' as const, item: { ...s } })));
}
