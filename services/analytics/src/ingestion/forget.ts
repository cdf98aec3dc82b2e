import { randomUUID } from 'node:crypto';
import { hasSqlState } from '@platform/db';
import type { App } from '@platform/http';
import { asc, inArray, sql } from 'drizzle-orm';
import type { AnalyticsContext } from '../context.ts';
import type { Tx } from '../db/index.ts';
import { ForgettingLeft } from '../db/lock-waits.ts';
import { forgottenIdentities, forgottenUsers } from '../db/schema.ts';
import { unlinkDeadLetters } from './dead-letters-unlink.ts';
import {
  ForgettingFailures,
  type Left,
  removeIdentities,
  removeLeftIdentities,
  step,
  tickFailure,
} from './forget-left.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How often the forgetting worker looks for users due a pass, by default (`tickMs`). */
export const FORGET_TICK_MS = 2000;
/** Passes repeat this long after the deletion, for events that were still queued then. */
const EAGER_MS = 60_000;
const EAGER_EVERY_MS = 5000;
/**
 * Then one final pass, for late deliveries (retries of other producers), and the row goes: once
 * this long has passed and the queue holds no row that was in it at the deletion (queueSeq) or
 * came during this time (its oldest row's enqueued_at).
 */
const GRACE_MS = 10 * 60_000;
/**
 * A final pass asks for destination_deliveries' lock for 5 s at most (FINAL_LOCK_TIMEOUT_MS,
 * destinations/forget.ts), a short try at a time, and every write of deliveries queues behind
 * each try. When that ran out, a transaction holds the table (stuck: a replica frozen or cut off
 * mid-transaction keeps its backend until TCP gives up on it, hours): the replica's final passes
 * pause this long (by default; `finalPauseMs`), so that writes are not held up at every tick
 * (every 2 s) meanwhile. The eager passes go on; the mapping is kept.
 */
export const FINAL_PAUSE_MS = 60_000;

/**
 * The forgetting worker's timings (scheduleForgetting). Production runs the defaults (no setting
 * changes them); tests that wait for a tick, a lock wait running out or the pause after it pass
 * short ones (buildApp's `forgetting`).
 */
export interface ForgettingTimings {
  /** Between two looks for users due a pass: FORGET_TICK_MS, 2 s. */
  tickMs?: number;
  /** How long a final pass asks for destination_deliveries' lock: FINAL_LOCK_TIMEOUT_MS, 5 s. */
  lockTimeoutMs?: number;
  /** No final pass for this long after such a wait ran out: FINAL_PAUSE_MS, 60 s. */
  finalPauseMs?: number;
}

/**
 * The user a `user.deleted` event deletes, for the handler's removal of profile and links
 * (internal/service.ts) and for the mapping the passes go by (rememberDeletions) alike: its
 * payload's `user_id`, as auth writes it. The event's `user_id` is no fallback: the outbox relay
 * fills it with the payload's `actor_id` when the payload has no `user_id` (packages/outbox
 * relay.ts), the one who acted. Taken for the deleted user, a user not deleted lost their profile
 * and links; naming no one, such an event removes nothing (auth always sends `user_id`).
 */
export function deletedUserOf(e: {
  event: string;
  properties: Record<string, unknown>;
}): string | undefined {
  if (e.event !== 'user.deleted') return undefined;
  const id = e.properties.user_id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/**
 * Notes users deleted in auth, in the transaction that queues the `user.deleted` event. Each gets
 * a random pseudonym, unrelated to their id: once the row is gone nothing maps one to the other.
 * Only a UUID (auth's ids): the passes find an id in text as one (pseudonyms.ts).
 */
export async function rememberDeletions(
  tx: Tx,
  events: { event: string; properties: Record<string, unknown> }[],
): Promise<void> {
  const ids = events
    .map(deletedUserOf)
    .filter((id): id is string => id !== undefined && UUID.test(id))
    // As auth writes ids, in lower case: a deletion naming the UUID upper-cased is the same
    // user (one row, one pseudonym), and every lookup of the table (the destinations' at send
    // time, a profile's) asks in lower case, by its primary key.
    .map((id) => id.toLowerCase());
  if (ids.length === 0) return;
  await tx
    .insert(forgottenUsers)
    .values(
      ids.map((userId) => ({
        userId,
        pseudonym: `deleted-${randomUUID()}`,
        // The last number the queue handed out, committed or not: every row queued before the
        // deletion is at or below it, the deletion's own batch included (internal/service.ts
        // queues that row before calling this).
        queueSeq: sql`coalesce(pg_sequence_last_value(pg_get_serial_sequence('queue', 'seq')::regclass), 0)`,
      })),
    )
    .onConflictDoNothing();
}

/** Users unlinked per pass at most; more wait for the next tick. */
const MAX_USERS_PER_PASS = 100;

/**
 * Unlinks deleted users from what the store holds: right away, every few seconds for a minute
 * (what a replica's writer wrote before its lookup had the user, see forgotten.ts), and once more
 * after ten minutes, or later, once the queue holds no row queued before the deletion (a store
 * outage, a backlog): then the row, and with it the id → pseudonym mapping, is deleted. Until
 * then the writer writes the user's queued events under the pseudonym. Each pass also rewrites
 * the user's dead letters, so that a replay writes the pseudonym and none keeps the id.
 *
 * One store pass per tick covers every user due, so deleting many accounts costs no more
 * passes than deleting one. A user's first pass reads everything stored; the later ones read
 * only what was written since their previous pass (the store's mark), so only the first is a
 * scan of the whole table, shared by all the users deleted in the same few seconds.
 *
 * `finals: false`: no final pass this time, only the eager ones (scheduleForgetting's pause
 * after a final pass's lock wait ran out, FINAL_PAUSE_MS). `lockTimeoutMs`: a final pass's wait
 * for destination_deliveries' lock (FINAL_LOCK_TIMEOUT_MS by default).
 */
export async function forgetPending(
  ctx: AnalyticsContext,
  now = Date.now(),
  options: { finals?: boolean; lockTimeoutMs?: number } = {},
): Promise<number> {
  // The removals left by earlier final passes after the tick's own work, and their failure
  // reported after it too: one failing at every try (a link a stuck batch holds locked, past the
  // statement timeout) came first and failed every tick whole — the writer's lookup was not
  // refreshed (a deletion since was written under the real id) and no user had a pass. The
  // pass's error first: a lock wait that ran out must still pause the final passes. A removal's
  // failure, the pass's own ones included, holds no work up (removeIdentities), and only one
  // still left at the end of the tick is reported: a final pass's last removal that failed, and
  // that the retry just after made, was reported all the same (a warning with nothing left).
  // So is any other step a row lock held it up in (ForgettingLeft, forgetDue).
  const left: Left = { removals: new Map(), steps: [] };
  const failures: unknown[] = [];
  let passed = 0;
  try {
    passed = await forgetDue(ctx, now, options, left);
  } catch (error) {
    failures.push(error);
  }
  try {
    await removeLeftIdentities(ctx, left.removals);
  } catch (error) {
    failures.push(error);
  }
  // Each of them, not the first alone: all of them in the log (ForgettingFailures).
  const failed = tickFailure(failures, left);
  if (failed !== undefined) throw failed;
  return passed;
}

async function forgetDue(
  ctx: AnalyticsContext,
  now: number,
  options: { finals?: boolean; lockTimeoutMs?: number },
  left: Left,
): Promise<number> {
  const finals = options.finals ?? true;
  const rows = await ctx.db
    .select()
    .from(forgottenUsers)
    .orderBy(asc(forgottenUsers.forgottenAt), asc(forgottenUsers.userId));
  ctx.forgotten?.refresh(rows);
  if (rows.length === 0) return 0;
  // The queue's oldest row, asked only when a user's grace time is over (one index probe).
  const over =
    finals && rows.some((r) => now - r.forgottenAt.getTime() >= GRACE_MS && r.queueSeq !== null);
  const oldest = over ? await oldestQueued(ctx) : null;
  // And no row queued up to the end of the grace time either: what came after the deletion
  // (main's post.deleted events for the user's posts, other late deliveries) and is still queued
  // in a backlog would else be written with the id once the mapping is gone.
  const final = (row: (typeof rows)[number]) =>
    finals &&
    now - row.forgottenAt.getTime() >= GRACE_MS &&
    (row.queueSeq === null ||
      oldest === null ||
      (oldest.seq > row.queueSeq &&
        oldest.enqueuedAt.getTime() > row.forgottenAt.getTime() + GRACE_MS));
  // Users not yet unlinked at all first: those in their eager minute must not hold them back.
  const due = [...rows.filter((r) => !r.passMark), ...rows.filter((r) => r.passMark)]
    .filter((row) => {
      const age = now - row.forgottenAt.getTime();
      const since = row.lastPassAt ? now - row.lastPassAt.getTime() : Number.POSITIVE_INFINITY;
      return final(row) || (since >= EAGER_EVERY_MS && (age < EAGER_MS || !row.lastPassAt));
    })
    .slice(0, MAX_USERS_PER_PASS);
  if (due.length === 0) return 0;
  const marks = due.map((row) => row.passMark);
  // The oldest mark covers every user's rows since their own; one without a mark reads all.
  const since = marks.every((m) => m !== null)
    ? marks.reduce((a, b) => (BigInt(a) <= BigInt(b) ? a : b))
    : undefined;
  const users = due.map((row) => ({ userId: row.userId, pseudonym: row.pseudonym }));
  // Each step waits ROW_LOCK_WAIT_MS at most for a row (a stuck transaction holding one made it
  // wait out the statement timeout, holding the tick as long); one that fails is left for a
  // later tick and the others go on (step). No final pass then: the mapping drives the passes,
  // and once it is gone nothing would rewrite what the step left under the id.
  const letters = await step(left, 'dead_letters_left', () => unlinkDeadLetters(ctx.db, users));
  await removeIdentities(ctx, users, left.removals);
  // Failed together (one transaction): each apart, so that one user's (a link a stuck batch
  // holds) leaves only that user due again (below), not every user of the pass.
  if (users.length > 1 && users.some((u) => left.removals.has(u.userId))) {
    for (const user of users) await removeIdentities(ctx, [user], left.removals);
  }
  let mark: string | undefined;
  const stored = await step(left, 'store_left', async () => {
    ({ mark } = await ctx.store.forgetUsers(users, since));
  });
  const last = letters && stored ? due.filter(final) : [];
  const eager = due.filter((row) => !last.includes(row));
  // The deliveries after the store pass, and the final users' mapping deleted in the
  // transaction that rewrites the last of them: a delivery naming the user committed at any
  // time before the mapping goes is rewritten, or sent under the pseudonym by the worker, which
  // looks ids up in the mapping (destinations/forget.ts unlinkDeliveriesFinally).
  let delivered = true;
  if (last.length > 0) {
    let finished = false;
    try {
      await ctx.destinations.forgetFinally(
        users,
        async (tx) => {
          const ids = last.map((row) => row.userId);
          await tx.delete(forgottenUsers).where(inArray(forgottenUsers.userId, ids));
          // Their profiles and links once more, below; noted with the deletion, so that a
          // removal that fails is retried (removeLeftIdentities, after each tick's passes).
          await tx
            .insert(forgottenIdentities)
            .values(ids.map((userId) => ({ userId })))
            .onConflictDoNothing();
        },
        options.lockTimeoutMs,
      );
      finished = true;
    } catch (error) {
      // The sweep before the table's lock held up by a row (destinations/forget.ts): the
      // mapping is kept for a later tick, and the eager users' pass is recorded below. Any
      // other failure (the table's lock, which pauses the final passes) fails the pass.
      if (!(error instanceof ForgettingLeft)) throw error;
      left.steps.push(error);
      delivered = false;
    }
    // Once more with the mapping gone: a batch that committed while this pass ran.
    if (finished) await removeIdentities(ctx, last, left.removals, true);
  } else {
    delivered = await step(left, 'deliveries_left', () => ctx.destinations.forget(users));
  }
  // Not when the store pass failed: its mark, from which the next pass reads, is not known. When
  // another step was left, no pass time: the users are due again at the next tick, their eager
  // minute over or not (recorded, one whose first pass came after it, or whose last one in it
  // was left, had none before the final pass, minutes or hours on, an admin reading the id in
  // its dead letter meanwhile). So for a user whose removal of profile and links failed: their
  // profile stayed as long.
  if (eager.length > 0 && stored) {
    const done = (row: (typeof eager)[number]) =>
      letters && delivered && !left.removals.has(row.userId);
    for (const [passed, rows] of [
      [true, eager.filter(done)],
      [false, eager.filter((row) => !done(row))],
    ] as const) {
      if (rows.length === 0) continue;
      await ctx.db
        .update(forgottenUsers)
        .set({ lastPassAt: passed ? new Date(now) : null, passMark: mark ?? null })
        .where(
          inArray(
            forgottenUsers.userId,
            rows.map((row) => row.userId),
          ),
        );
    }
  }
  return due.length;
}

/** The queue's oldest row (one index probe); its time is the database's, as forgottenAt. */
async function oldestQueued(
  ctx: AnalyticsContext,
): Promise<{ seq: number; enqueuedAt: Date } | null> {
  const { rows } = await ctx.db.execute<{ seq: number; enqueued_at: string | Date }>(
    sql`select seq::float8 as seq, enqueued_at from queue order by queue.seq limit 1`,
  );
  const row = rows[0];
  return row ? { seq: row.seq, enqueuedAt: new Date(row.enqueued_at) } : null;
}

/**
 * Whether a tick failed because a final pass's wait for destination_deliveries' lock ran out
 * (lock_not_available; scheduleForgetting then pauses the final passes). Not an error naming a
 * code of its own, whatever its cause's: a step's lock wait (ForgettingLeft) and one inside
 * the pass's locked work (destinations' WorkLockTimeout: a row held) hold no table — taken for
 * it, they paused the final passes with a warning naming the wrong culprit.
 */
export function deliveriesHeld(err: unknown): boolean {
  if (err instanceof ForgettingFailures) return err.errors.some(deliveriesHeld);
  const own = (err as { code?: unknown } | null | undefined)?.code;
  return own === undefined ? hasSqlState(err, '55P03') : own === '55P03';
}

export function scheduleForgetting(
  app: App,
  ctx: AnalyticsContext,
  timings: ForgettingTimings = {},
) {
  // lockTimeoutMs: unset, destinations/forget.ts's FINAL_LOCK_TIMEOUT_MS (ingestion imports no
  // destinations code: the context's `destinations` is its only way there).
  const { tickMs = FORGET_TICK_MS, lockTimeoutMs, finalPauseMs = FINAL_PAUSE_MS } = timings;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  /** No final pass before this time (finalPauseMs). */
  let finalsAfter = 0;
  const tick = async () => {
    const now = Date.now();
    try {
      await forgetPending(ctx, now, { finals: now >= finalsAfter, lockTimeoutMs });
    } catch (err) {
      // lock_not_available: a final pass's wait for destination_deliveries' lock ran out.
      if (deliveriesHeld(err)) {
        finalsAfter = Date.now() + finalPauseMs;
        app.log.warn(
          { err, retry_in_ms: finalPauseMs },
          'a transaction (or an anti-wraparound vacuum) holds destination_deliveries: final forgetting passes pause',
        );
      } else app.log.warn({ err }, 'unlinking deleted users failed; will retry');
    }
    if (!closed) timer = setTimeout(tick, tickMs).unref();
  };
  app.addHook('onReady', async () => {
    timer = setTimeout(tick, tickMs).unref();
  });
  app.addHook('onClose', async () => {
    closed = true;
    clearTimeout(timer);
  });
}
