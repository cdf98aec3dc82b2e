import type { Executor } from '../db/index.ts';
import { outbox } from '../db/schema.ts';

export type AuthEvent =
  | 'user.registered'
  | 'user.logged_in'
  | 'user.password_changed'
  /** Subscribers forget the user: main deletes their posts, analytics unlinks their events. */
  | 'user.deleted';

/**
 * Writes a domain event in the caller's transaction, so it exists if and only if the change
 * does; the analytics relay reads the outbox later (at-least-once, ids make it idempotent).
 */
export async function recordEvent(db: Executor, type: AuthEvent, payload: Record<string, unknown>) {
  await db.insert(outbox).values({ type, payload });
}
