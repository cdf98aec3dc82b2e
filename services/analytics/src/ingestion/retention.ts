import type { App } from '@platform/http';
import { lt } from 'drizzle-orm';
import type { AnalyticsContext } from '../context.ts';
import { receivedIds } from '../db/schema.ts';

const HOUR = 3600_000;
const DAY = 86_400_000;

/** Hourly: the store forgets what is past retention, the queue forgets ids past DEDUP_DAYS. */
export function scheduleRetention(app: App, ctx: AnalyticsContext) {
  const run = async () => {
    const now = Date.now();
    await ctx.store.prune(new Date(now - ctx.config.RETENTION_DAYS * DAY));
    await ctx.db
      .delete(receivedIds)
      .where(lt(receivedIds.receivedAt, new Date(now - ctx.config.DEDUP_DAYS * DAY)));
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
