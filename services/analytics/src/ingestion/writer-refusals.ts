import type { FastifyBaseLogger } from 'fastify';
import { StoreRejected, StoreUnavailable } from '../store/errors.ts';
import type { QueuedEvent, QueuedSample, Store } from '../store/types.ts';
import type { Refused } from './dead-letters.ts';
import { itemSeq } from './queue-rows.ts';
import { halves, type Item, numberItem } from './writer-batches.ts';

/**
 * Whether a failed write is its items' fault: the store says so, or it fails for a reason it
 * does not name while it still answers. A store that is down, or says it is, is not refused:
 * the writer waits for it rather than setting everything aside.
 */
export async function isRefusal(store: Store, error: unknown): Promise<boolean> {
  if (error instanceof StoreRejected) return true;
  if (error instanceof StoreUnavailable) return false;
  try {
    await store.ping();
    return true;
  } catch {
    return false;
  }
}

/** Writes items; returns those the store refuses, found by halving the batch. */
export async function writeItems(
  store: Store,
  items: Item[],
  log: FastifyBaseLogger,
): Promise<Refused[]> {
  // The values are this pass's own parse of the row: numbering them in place spares a copy.
  const queued = (i: Item): unknown => {
    numberItem(i.value, i.row, i.index);
    return i.value;
  };
  try {
    const events: unknown[] = [];
    const samples: unknown[] = [];
    for (const i of items) (i.row.kind === 'sample' ? samples : events).push(queued(i));
    if (events.length) await store.writeEvents(events as QueuedEvent[]);
    if (samples.length) await store.writeSamples(samples as QueuedSample[]);
    return [];
  } catch (error) {
    if (!(await isRefusal(store, error))) throw error;
    if (items.length === 1) {
      const seq = itemSeq(items[0]!.row.seq, items[0]!.index);
      log.error({ err: error, seq }, 'the store refused a queued item; set aside');
      return [{ ...items[0]!, error: (error as Error).message ?? String(error) }];
    }
    const [left, right] = halves(items);
    return [...(await writeItems(store, left, log)), ...(await writeItems(store, right, log))];
  }
}
