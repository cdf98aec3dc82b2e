import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import type { Db } from '../src/db/index.ts';
import { createWriter } from '../src/ingestion/writer.ts';
import { StoreUnavailable } from '../src/store/errors.ts';
import { until } from './destinations-receiver.ts';
import { buildTestAnalytics, eventsStore } from './helper.ts';

/** `db` whose next transaction waits until `open` is called. */
function gated(db: Db) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let armed = true;
  const wrapped = new Proxy(db, {
    get(target, key, receiver) {
      if (key !== 'transaction') return Reflect.get(target, key, receiver);
      return async (...args: Parameters<Db['transaction']>) => {
        if (armed) {
          armed = false;
          await gate;
        }
        return target.transaction(...args);
      };
    },
  });
  return { db: wrapped as Db, open: release };
}

/** Resolves to how long `promise` took, or rejects after `ms`. */
async function within(promise: Promise<unknown>, ms: number, what: string): Promise<number> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
  return Date.now() - started;
}

test('close during a pass that finds nothing returns at once, not after WRITER_INTERVAL_MS', async () => {
  const t = await buildTestAnalytics({ WRITER_INTERVAL_MS: '600000' });
  const { db, open } = gated(t.database.db);
  const writer = createWriter({
    db,
    store: eventsStore('postgres', async () => {}),
    config: t.config,
    log: pino({ level: 'silent' }),
  });
  // Its first pass waits for a connection (the gate) while close comes: close's wake finds no
  // one asleep; the pass then finds an empty queue. Before, it went to sleep for ten minutes and
  // close (a SIGTERM's graceful shutdown, a test's end) waited for it.
  writer.start();
  const closed = writer.close();
  open();
  await within(closed, 5_000, 'close');
});

test('close during a backoff from a store that is down returns at once', async () => {
  let failures = 0;
  const store = eventsStore('postgres', async () => {
    failures += 1;
    throw new StoreUnavailable('down');
  });
  const t = await buildTestAnalytics({ WRITER_MAX_BACKOFF_MS: '600000' }, { store });
  const res = await t.app.inject({
    method: 'POST',
    url: '/analytics/v1/track-event',
    payload: { event: 'page_viewed' },
  });
  assert.equal(res.statusCode, 202, res.body);
  // Five failures in a row: the backoff is 1.6 s by now and doubling.
  await until(() => failures >= 5, 'five failed writes');
  // The app's close closes its writer first.
  await within(t.app.close(), 1_000, 'close');
});
