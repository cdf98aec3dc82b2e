// Lock waits bounded per transaction, and what a wait that ran out says.
import { sql } from 'drizzle-orm';

/** `set local lock_timeout` for this transaction, in milliseconds (1 at least: 0 waits forever). */
export const lockTimeout = (ms: number) =>
  sql`select set_config('lock_timeout', ${String(Math.max(1, Math.trunc(ms)))}, true)`;

/**
 * The message of an error's deepest cause: drizzle wraps the driver's error ("Failed query: …"),
 * and an error wrapping that one says what failed and, with this, why.
 */
export function rootMessage(error: unknown): string {
  let e = error;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}
