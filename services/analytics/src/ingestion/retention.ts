import { hasSqlState } from '@platform/db';
import type { App } from '@platform/http';
import { lt } from 'drizzle-orm';
import type { AnalyticsContext } from '../context.ts';
import { receivedIds } from '../db/schema.ts';
import { pruneDeadLetters } from './dead-letters.ts';
import { pruneClaims } from './queue.ts';

const HOUR = 3600_000;
const DAY = 86_400_000;

/** A deadlock (40P01) aborts one of the two transactions; the step is run again this many times. */
const DEADLOCK_TRIES = 3;

/**
 * What the hourly clean-up forgets, one step at a time: the store and the dead letters (the
 * writer's and the destinations') what is past retention, the dedup indexes ids past
 * DEDUP_DAYS. Each step runs whatever happened to the one before (one that threw left every
 * later step undone until the next hour, and the next, while the cause lasted); each that fails
 * is logged under its name. A deletion meets the forgetting passes' rewrites of the same
 * tables: a deadlock one of the two loses is tried again. Resolves to the names of the steps
 * that failed; none runs once `stopped` says so.
 */
export async function pruneExpired(
  ctx: Pick<AnalyticsContext, 'db' | 'config' | 'store' | 'dedup' | 'destinations'>,
  log: { error(obj: object, msg: string): void },
  options: { now?: number; stopped?: () => boolean } = {},
): Promise<string[]> {
  const { now = Date.now(), stopped = () => false } = options;
  const retained = new Date(now - ctx.config.RETENTION_DAYS * DAY);
  const deduped = new Date(now - ctx.config.DEDUP_DAYS * DAY);
  const steps: [string, () => Promise<unknown>][] = [
    ['store', () => ctx.store.prune(retained)],
    ['dead letters', () => pruneDeadLetters(ctx.db, retained)],
    ['dead deliveries', () => ctx.destinations.prune(retained)],
    ['received ids', () => ctx.db.delete(receivedIds).where(lt(receivedIds.receivedAt, deduped))],
    ['message ids', () => ctx.dedup.prune(ctx.db, deduped)],
    ['claim outcomes', () => pruneClaims(ctx.db)],
  ];
  const failed: string[] = [];
  for (const [step, work] of steps) {
    if (stopped()) break;
    for (let tries = 1; ; tries++) {
      try {
        await work();
        break;
      } catch (err) {
        if (tries < DEADLOCK_TRIES && hasSqlState(err, '40P01')) continue;
        log.error({ err, step }, `retention clean-up failed: ${step}`);
        failed.push(step);
        break;
      }
    }
  }
  return failed;
}

/**
 * Hourly, and once `firstRunMs` after the start: pruneExpired, one run at a time (a run that
 * outlasts the hour is not joined by another). Closing waits for the step under way and starts no other: the
 * pool closes after the app, and each later step failed on it, logged as a failure.
 */
export function scheduleRetention(app: App, ctx: AnalyticsContext, firstRunMs = 10_000) {
  let running: Promise<unknown> | undefined;
  let closed = false;
  const tick = () => {
    if (running || closed) return;
    // pruneExpired logs each step's failure itself; this is for a bug of its own.
    running = pruneExpired(ctx, app.log, { stopped: () => closed })
      .catch((err: unknown) => app.log.error({ err }, 'retention clean-up failed'))
      .finally(() => {
        running = undefined;
      });
  };
  const timers: NodeJS.Timeout[] = [];
  app.addHook('onReady', async () => {
    timers.push(setInterval(tick, HOUR).unref(), setTimeout(tick, firstRunMs).unref());
  });
  app.addHook('onClose', async () => {
    closed = true;
    for (const t of timers) clearTimeout(t);
    await running;
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
