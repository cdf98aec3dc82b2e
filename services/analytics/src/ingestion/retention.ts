import type { App } from '@platform/http';
import { lt } from 'drizzle-orm';
import type { AnalyticsContext } from '../context.ts';
import { receivedIds } from '../db/schema.ts';
import { pruneDeadLetters } from './dead-letters.ts';
import { pruneClaims } from './queue.ts';

const HOUR = 3600_000;
const DAY = 86_400_000;

/**
 * Hourly: the store and the dead letters forget what is past retention, the dedup indexes
 * forget ids past DEDUP_DAYS.
 */
export function scheduleRetention(app: App, ctx: AnalyticsContext) {
  const run = async () => {
    const now = Date.now();
    await ctx.store.prune(new Date(now - ctx.config.RETENTION_DAYS * DAY));
    await pruneDeadLetters(ctx.db, new Date(now - ctx.config.RETENTION_DAYS * DAY));
    await ctx.db
      .delete(receivedIds)
      .where(lt(receivedIds.receivedAt, new Date(now - ctx.config.DEDUP_DAYS * DAY)));
    await ctx.dedup.prune(ctx.db, new Date(now - ctx.config.DEDUP_DAYS * DAY));
    await pruneClaims(ctx.db);
  };
  const tick = () => {
    run().catch((err: unknown) => app.log.error({ err }, 'retention clean-up failed'));
  };
  const timers: NodeJS.Timeout[] = [];
  app.addHook('onReady', async () => {
    timers.push(setInterval(tick, HOUR).unref(), setTimeout(tick, 10_000).unref());
  });
  app.addHook('onClose', async () => {
    for (const t of timers) clearTimeout(t);
  });
}

/**
 * Every ROLLUP_INTERVAL_MS, rounds of the store's settle (InfluxDB rollups) until nothing is
 * left, one at a time. Replicas may overlap: a round only overwrites points with equal ones.
 */
export function scheduleRollups(app: App, ctx: AnalyticsContext) {
  const { store } = ctx;
  if (!store.settle) return;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const tick = async () => {
    try {
      while (!closed && (await store.settle!()) > 0) {}
    } catch (err) {
      app.log.warn({ err }, 'computing rollups failed; will retry');
    }
    if (!closed) timer = setTimeout(tick, ctx.config.ROLLUP_INTERVAL_MS).unref();
  };
  app.addHook('onReady', async () => {
    timer = setTimeout(tick, ctx.config.ROLLUP_INTERVAL_MS).unref();
  });
  app.addHook('onClose', async () => {
    closed = true;
    clearTimeout(timer);
  });
}
