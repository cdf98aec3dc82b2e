import { randomUUID } from 'node:crypto';
import type { App } from '@platform/http';
import { eq } from 'drizzle-orm';
import type { AnalyticsContext } from '../context.ts';
import type { Tx } from '../db/index.ts';
import { forgottenUsers } from '../db/schema.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TICK_MS = 2000;
/** Passes repeat this long after the deletion, for events that were still queued then. */
const EAGER_MS = 60_000;
const EAGER_EVERY_MS = 5000;
/** Then one final pass, for late deliveries (retries of other producers), and the row goes. */
const GRACE_MS = 10 * 60_000;

/**
 * Notes users deleted in auth, in the transaction that queues the `user.deleted` event. Each gets
 * a random pseudonym, unrelated to their id: once the row is gone nothing maps one to the other.
 */
export async function rememberDeletions(
  tx: Tx,
  events: { event: string; properties: Record<string, unknown> }[],
): Promise<void> {
  const ids = events
    .filter((e) => e.event === 'user.deleted')
    .map((e) => e.properties.user_id)
    .filter((id): id is string => typeof id === 'string' && UUID.test(id));
  if (ids.length === 0) return;
  await tx
    .insert(forgottenUsers)
    .values(ids.map((userId) => ({ userId, pseudonym: `deleted-${randomUUID()}` })))
    .onConflictDoNothing();
}

/**
 * Unlinks deleted users from what the store holds: right away, every few seconds for a minute
 * (events that were queued when the deletion arrived are written meanwhile), and once more
 * after ten minutes; then the row, and with it the id → pseudonym mapping, is deleted.
 */
export async function forgetPending(ctx: AnalyticsContext, now = Date.now()): Promise<number> {
  let passes = 0;
  for (const row of await ctx.db.select().from(forgottenUsers)) {
    const age = now - row.forgottenAt.getTime();
    const since = row.lastPassAt ? now - row.lastPassAt.getTime() : Number.POSITIVE_INFINITY;
    const final = age >= GRACE_MS;
    if (!final && !(since >= EAGER_EVERY_MS && (age < EAGER_MS || !row.lastPassAt))) continue;
    await ctx.store.forgetUser(row.userId, row.pseudonym);
    passes += 1;
    if (final) await ctx.db.delete(forgottenUsers).where(eq(forgottenUsers.userId, row.userId));
    else {
      await ctx.db
        .update(forgottenUsers)
        .set({ lastPassAt: new Date(now) })
        .where(eq(forgottenUsers.userId, row.userId));
    }
  }
  return passes;
}

export function scheduleForgetting(app: App, ctx: AnalyticsContext) {
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const tick = async () => {
    try {
      await forgetPending(ctx);
    } catch (err) {
      app.log.warn({ err }, 'unlinking deleted users failed; will retry');
    }
    if (!closed) timer = setTimeout(tick, TICK_MS).unref();
  };
  app.addHook('onReady', async () => {
    timer = setTimeout(tick, TICK_MS).unref();
  });
  app.addHook('onClose', async () => {
    closed = true;
    clearTimeout(timer);
  });
}
