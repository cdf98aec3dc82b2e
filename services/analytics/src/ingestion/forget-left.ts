// What a forgetting tick leaves for a later one (forget.ts): the steps of its passes that failed,
// and the removals of deleted users' profiles and links, retried from their notes.
import { inArray } from 'drizzle-orm';
import type { AnalyticsContext } from '../context.ts';
import type { Tx } from '../db/index.ts';
import { ForgettingLeft, type LEFT, leftBy, rootMessage, withLockWait } from '../db/lock-waits.ts';
import { forgottenIdentities } from '../db/schema.ts';
import { forgetUsers as forgetIdentities, notedId } from '../identity/repository.ts';

/**
 * What a tick left for a later one: the steps of its passes that failed (ForgettingLeft), and
 * the removals of profiles and links (Removals).
 */
export interface Left {
  removals: Removals;
  steps: ForgettingLeft[];
}

/** `work`, its failure kept in `left` as the step `code` (the tick goes on); whether it was done. */
export async function step(left: Left, code: keyof typeof LEFT, work: () => Promise<void>) {
  try {
    await work();
    return true;
  } catch (error) {
    left.steps.push(leftBy(code, error));
    return false;
  }
}

/**
 * What a tick failed at, when more than one thing: its own failure (forgetDue's), the steps it
 * left, the removals still left at its end. Thrown as the first alone, only that one was
 * logged (a dead letter held, and nothing said of the store pass held too). Its message names
 * each; a final pass's wait for destination_deliveries' lock among them still pauses the final
 * passes (forget.ts deliveriesHeld looks at each).
 */
export class ForgettingFailures extends Error {
  readonly code = 'forgetting_failures';
  constructor(readonly errors: unknown[]) {
    super(errors.map(rootOrOwn).join('; '), { cause: errors[0] });
    this.name = 'ForgettingFailures';
  }
}

/** A step's message (it says what failed, and why), or another error's deepest cause's. */
const rootOrOwn = (error: unknown) =>
  error instanceof ForgettingLeft ? error.message : rootMessage(error);

/**
 * The tick's failure, its own `failures` first: undefined for none, the error itself for one,
 * else ForgettingFailures. The same message once (a removal failed for several users).
 */
export function tickFailure(failures: unknown[], left: Left): unknown {
  const all = [...failures, ...left.steps, ...left.removals.values()];
  const messages = new Set<string>();
  const distinct = all.filter((e) => {
    const message = rootOrOwn(e);
    if (messages.has(message)) return false;
    messages.add(message);
    return true;
  });
  return distinct.length <= 1 ? distinct[0] : new ForgettingFailures(distinct);
}

/**
 * The users whose removal of profiles and links failed and was not made since, in this tick, and
 * why: a later removal that succeeds (the final pass's after its eager one, the retry of noted
 * ones after the final pass's) takes a user off.
 */
export type Removals = Map<string, ForgettingLeft>;

/**
 * The users' Segment profiles and anonymous-id links, in any case (identity/repository.ts). The
 * deletion removed them, but a backend's identify or alias sent after it (a retry, a queue
 * flushed late) made them again, under the real id and with the traits: kept for good once the
 * mapping was gone, a profile GET /profiles answered and links that stitched anonymous events
 * to the id. Not in the final pass's transaction: that one holds destination_deliveries, which
 * a batch locks after its links (a deadlock).
 *
 * A short lock wait (ROW_LOCK_WAIT_MS), and a failure goes to `failed` rather than
 * failing the pass: a transaction stuck holding one of the rows (a batch frozen holding a link)
 * made each removal wait out the statement timeout, a minute, ticks as far apart and the
 * writer's lookup refreshed as late. Left, it is done again at the next pass (the eager ones,
 * the final one) or from its note (removeLeftIdentities).
 */
export async function removeIdentities(
  ctx: AnalyticsContext,
  users: { userId: string }[],
  failed: Removals,
  noted = false,
) {
  const ids = users.map((u) => u.userId);
  try {
    await withLockWait(ctx.db, async (tx) => {
      await forgetIdentities(tx, ids);
      // `noted`: the last removal, whose note (forgottenIdentities) goes with it.
      if (noted) {
        await tx.delete(forgottenIdentities).where(inArray(forgottenIdentities.userId, ids));
      }
    });
    for (const id of ids) failed.delete(id);
  } catch (error) {
    const left = new ForgettingLeft('identities_left', error);
    for (const id of ids) failed.set(id, left);
  }
}

/**
 * The last removals of profiles and links that failed (noted in forgotten_identities by the final
 * pass's transaction, which deleted the mapping that drives the passes): a timeout or an outage
 * then left a profile an identify made during the grace time under the real id for good. One
 * query per tick, on a table that is empty but for the seconds after a final pass. Each user's
 * apart: together, one failing at every try (a link a stuck transaction holds, hours) failed every
 * other's in its transaction, each user's profile and traits kept for as long.
 */
export async function removeLeftIdentities(ctx: AnalyticsContext, failed: Removals) {
  const left = await ctx.db
    .select({ userId: forgottenIdentities.userId })
    .from(forgottenIdentities);
  for (const user of left) await removeIdentities(ctx, [user], failed, true);
}

/**
 * Notes removals of these users' profiles and links that were left (the `user.deleted`
 * handler's, a row held): removeLeftIdentities does them at each tick until one is made. Each
 * id as isForgotten looks it up (identity/repository.ts notedId).
 */
export async function noteRemovals(tx: Tx, userIds: string[]) {
  const ids = new Set(userIds.map(notedId));
  await tx
    .insert(forgottenIdentities)
    .values([...ids].map((userId) => ({ userId })))
    .onConflictDoNothing();
}
