// Lock waits bounded per transaction, and what a wait that ran out says.
import { hasSqlState } from '@platform/db';
import { sql } from 'drizzle-orm';
import type { Db, Tx } from './index.ts';

/** `set local lock_timeout` for this transaction, in milliseconds (1 at least: 0 waits forever). */
export const lockTimeout = (ms: number) =>
  sql`select set_config('lock_timeout', ${String(Math.max(1, Math.trunc(ms)))}, true)`;

/**
 * How long a step of a forgetting pass waits for a row another transaction holds, at most (a
 * batch's or a worker's transaction holding one lasts milliseconds): past it, a transaction stuck
 * holding it (frozen mid-transaction, hours), which made the step wait out the statement timeout
 * (a minute) and held the tick — and the writer's lookup of users being forgotten — as long.
 */
export const ROW_LOCK_WAIT_MS = 1000;

/** `work` in a transaction of its own whose lock waits last `ms` at most (ROW_LOCK_WAIT_MS). */
export const withLockWait = <T>(db: Db, work: (tx: Tx) => Promise<T>, ms = ROW_LOCK_WAIT_MS) =>
  db.transaction(async (tx) => {
    await tx.execute(lockTimeout(ms));
    return work(tx);
  });

/**
 * `work` in a savepoint of `tx` whose lock waits last `ms` at most; false (the savepoint undone,
 * `tx` going on) when one ran out. The transaction's own lock_timeout again after.
 */
export async function triedWithin(
  tx: Tx,
  work: (tx: Tx) => Promise<void>,
  ms = ROW_LOCK_WAIT_MS,
): Promise<boolean> {
  const { rows } = await tx.execute<{ before: string }>(
    sql`select current_setting('lock_timeout') as before`,
  );
  try {
    await tx.transaction(async (savepoint) => {
      await savepoint.execute(lockTimeout(ms));
      await work(savepoint);
    });
  } catch (error) {
    // Undone with the savepoint, lock_timeout included.
    if (hasSqlState(error, '55P03')) return false;
    throw error;
  }
  await tx.execute(sql`select set_config('lock_timeout', ${rows[0]!.before}, true)`);
  return true;
}

/** What each step of a forgetting pass that a tick may leave for a later one does. */
export const LEFT = {
  identities_left: "removing deleted users' profiles and links",
  dead_letters_left: "rewriting deleted users' dead letters",
  store_left: "rewriting deleted users' stored events",
  deliveries_left: "rewriting deleted users' deliveries",
} as const;

/**
 * A step of a forgetting pass that failed (a bounded lock wait that ran out, an outage): kept for
 * the end of the tick (ingestion/forget.ts forgetPending), the rest of whose work goes on, and
 * done again at a later one. Its own code, so that a lock wait of its own running out is not
 * taken for the final pass's on destination_deliveries (forget.ts deliveriesHeld).
 */
export class ForgettingLeft extends Error {
  constructor(
    readonly code: keyof typeof LEFT,
    cause: unknown,
  ) {
    super(`${LEFT[code]} failed: ${rootMessage(cause)}`, { cause });
    this.name = 'ForgettingLeft';
  }
}

/** `error` as the step `code` left it, unless it says so already. */
export const leftBy = (code: keyof typeof LEFT, error: unknown) =>
  error instanceof ForgettingLeft ? error : new ForgettingLeft(code, error);

/**
 * The message of an error's deepest cause: drizzle wraps the driver's error ("Failed query: …"),
 * and an error wrapping that one says what failed and, with this, why.
 */
export function rootMessage(error: unknown): string {
  let e = error;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}
