import type { Executor } from '../db/index.ts';
import { outbox } from '../db/schema.ts';

export type PostEvent = 'post.created' | 'post.published' | 'post.updated' | 'post.deleted';

/**
 * Writes domain events in the caller's transaction, so they exist if and only if the change
 * does; packages/outbox relays them to analytics later (at least once, ids make it idempotent).
 */
export async function recordEvents(
  db: Executor,
  events: { type: PostEvent; payload: Record<string, unknown> }[],
): Promise<void> {
  if (events.length > 0) await db.insert(outbox).values(events);
}
