import { inArray, sql } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { loginFailures } from '../db/schema.ts';

/**
 * Counts one attempt under `key` in a fixed window and, once `limit` is reached, locks the key
 * until `windowSeconds` from now. Kept in PostgreSQL so that every replica sees the same counts.
 * One statement: a window that has passed starts over at 1, once its lock has run out. Returns
 * the count in the window.
 * `countPendingAttempt` also counts it as not yet judged (see `attemptsOf`); a new window
 * starts that over too: an attempt of the last window whose request died before its verdict
 * (a killed replica, a statement failing in the caller) is never judged, and kept across
 * windows it held every later refusal waiting for it, for as long as the key was in use.
 */
export async function countAttempt(
  db: Executor,
  key: string,
  limit: number,
  windowSeconds: number,
): Promise<number> {
  return (await countIn(db, key, limit, windowSeconds, 0)).failures;
}

/**
 * Which window of a key an attempt was counted in: when it started, in microseconds (what
 * PostgreSQL keeps; a Date has milliseconds). A verdict comes to that window only: judged after
 * the key's window started over (or its row was cleared and made again), an attempt took its
 * count back from the new one, and settled a pending mark of an attempt counted there.
 */
export type Window = string;
const windowOf = sql`(extract(epoch from window_started_at) * 1000000)::bigint`;
const inWindow = (window: Window) => sql`${windowOf} = ${window}::bigint`;

/** `countAttempt` for an attempt whose verdict is to come: counted as pending too. */
export const countPendingAttempt = (
  db: Executor,
  key: string,
  limit: number,
  windowSeconds: number,
) => countIn(db, key, limit, windowSeconds, 1);

async function countIn(
  db: Executor,
  key: string,
  limit: number,
  windowSeconds: number,
  more: 0 | 1,
): Promise<{ failures: number; window: Window }> {
  // A window starts over once it has passed and its lock (which runs a window from when the
  // limit was hit, so past the window's end) has run out. Started over while the lock ran, the
  // count of an attempt spared from it (the owner at a known address) left it with the lock
  // gone, or took it away when the attempt, right, took its count back: every guesser got the
  // whole allowance again at once, up to twice the limit's rate. Counted in the old window
  // meanwhile, such attempts keep the count past the limit, so an attempt let past the lock
  // (sent just before it was set) is refused while counting, as in the window.
  const startsOver = sql`(login_failures.window_started_at
      < now() - make_interval(secs => ${windowSeconds})
    and (login_failures.locked_until is null or login_failures.locked_until <= now()))`;
  const { rows } = await db.execute<{ failures: number; window: Window }>(sql`
    insert into login_failures (key, failures, window_started_at, locked_until, pending, pending_at)
    values (${key}, 1, now(),
            case when 1 >= ${limit} then now() + make_interval(secs => ${windowSeconds}) end,
            ${more}, case when ${more} > 0 then now() end)
    on conflict (key) do update set
      pending_at = case when ${more} > 0 then now() else login_failures.pending_at end,
      pending = case when ${startsOver} then ${more} else login_failures.pending + ${more} end,
      failures = case when ${startsOver} then 1 else login_failures.failures + 1 end,
      window_started_at = case when ${startsOver}
                          then now() else login_failures.window_started_at end,
      locked_until = case
        when ${startsOver}
        then case when 1 >= ${limit} then now() + make_interval(secs => ${windowSeconds}) end
        -- A lock runs a window from when its limit was hit: attempts counted past it (spared
        -- ones) do not set it again, or an owner signing in from home now and then, or an
        -- office's colleagues, kept it running a window past each of them.
        when login_failures.locked_until > now() then login_failures.locked_until
        when login_failures.failures + 1 >= ${limit}
        then now() + make_interval(secs => ${windowSeconds})
        else login_failures.locked_until end
    returning failures, ${windowOf}::text as "window"`);
  return rows[0]!;
}

export interface KeyAttempts {
  /** Seconds the key stays locked (0: not locked). */
  wait: number;
  /** Attempts counted in its window (the pending ones among them). */
  failures: number;
  /**
   * Attempts counted and not yet judged; 0 once none was counted for `staleAfterMs` (one whose
   * request died before its verdict is never judged, and must not be waited for).
   */
  pending: number;
}

/**
 * Each of `keys` that has a count: its lock, its count and how many are still being judged. How
 * long a lock has left and whether a pending mark is fresh are read with PostgreSQL's clock, the
 * one they were written with: read with the app's, a replica whose clock ran behind the
 * database's refused the owner after the lock had run out, and one running ahead let attempts
 * past a running lock.
 */
export async function attemptsOf(
  db: Executor,
  keys: string[],
  staleAfterMs = Number.POSITIVE_INFINITY,
): Promise<Map<string, KeyAttempts>> {
  const fresh = Number.isFinite(staleAfterMs)
    ? sql`${loginFailures.pendingAt} > now() - make_interval(secs => ${staleAfterMs / 1000})`
    : sql`true`;
  const rows = await db
    .select({
      key: loginFailures.key,
      failures: loginFailures.failures,
      wait: sql<number>`coalesce(greatest(0,
          ceil(extract(epoch from ${loginFailures.lockedUntil} - now())))::int, 0)`,
      pending: sql<number>`case when ${fresh} then ${loginFailures.pending} else 0 end`,
    })
    .from(loginFailures)
    .where(inArray(loginFailures.key, keys));
  return new Map(rows.map(({ key, ...state }) => [key, state]));
}

/** Seconds each of `keys` stays locked (only the locked ones are in the map). */
export async function lockedFor(db: Executor, keys: string[]): Promise<Map<string, number>> {
  const locked = new Map<string, number>();
  for (const [key, { wait }] of await attemptsOf(db, keys)) if (wait > 0) locked.set(key, wait);
  return locked;
}

/**
 * Takes back one attempt counted under `key` (one that turned out right, or was never judged),
 * and the lock it set: within a window a key is locked once its count reaches `limit`, so below
 * it no longer is. It is no longer pending either. Only in the `window` it was counted in.
 */
export async function uncountAttempt(
  db: Executor,
  key: string,
  limit: number,
  window: Window,
): Promise<void> {
  await db.execute(sql`
    update login_failures set
      failures = failures - 1,
      locked_until = case when failures - 1 < ${limit} then null else locked_until end,
      pending = greatest(pending - 1, 0)
    where key = ${key} and failures > 0 and ${inWindow(window)}`);
}

/**
 * An attempt counted under `key` in `window` has been judged wrong: it stays counted, no longer
 * pending.
 */
export async function settleAttempt(db: Executor, key: string, window: Window): Promise<void> {
  await db.execute(sql`
    update login_failures set pending = pending - 1
    where key = ${key} and pending > 0 and ${inWindow(window)}`);
}

/**
 * A right answer under `key`: takes back its own attempt and clears the wrong ones already
 * judged, and only those, in `window` (the one it was counted in) alone. Attempts still being
 * checked beside it (another at the same address) stay counted and pending: deleting the row
 * dropped them, so each was never counted once judged wrong. Judged after the window started
 * over, it leaves the new one alone: it cleared the wrong ones judged there (a guesser behind the
 * owner's address), as if in its own. A row left with nothing is deleted, so the next failure
 * starts a window of its own.
 */
export async function clearJudgedAttempts(
  db: Executor,
  key: string,
  limit: number,
  window: Window,
): Promise<void> {
  const left = sql`greatest(pending - 1, 0)`;
  await db.execute(sql`
    update login_failures set
      failures = ${left},
      pending = ${left},
      locked_until = case when ${left} < ${limit} then null else locked_until end
    where key = ${key} and ${inWindow(window)}`);
  await db.execute(sql`
    delete from login_failures where key = ${key} and failures = 0 and pending = 0`);
}

/**
 * Deletes counts whose window has passed and that lock nothing; returns how many. Keys starting
 * with `longer.keyPrefix` count in a longer window (a ceiling of their own, see AccountCeiling):
 * deleted after the shorter one, their count started over before their lock was reached.
 */
export async function pruneAttempts(
  db: Executor,
  windowSeconds: number,
  longer: { keyPrefix: string; windowSeconds: number },
): Promise<number> {
  const window = sql`case when starts_with(key, ${longer.keyPrefix}::text)
    then ${Math.max(windowSeconds, longer.windowSeconds)}::float8 else ${windowSeconds}::float8 end`;
  const { rowCount } = await db.execute(sql`
      delete from login_failures
      where window_started_at < now() - make_interval(secs => ${window})
        and (locked_until is null or locked_until < now())`);
  return rowCount ?? 0;
}
