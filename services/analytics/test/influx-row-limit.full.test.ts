import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startInflux } from '@platform/testing';
import { createInfluxStore } from '../src/store/influx.ts';
import type { QueuedSample } from '../src/store/types.ts';
import { memoryState } from './influx-memory-state.ts';

// influxd reads its settings from the environment too: answers are cut after 50 rows.
process.env.INFLUXDB_HTTP_MAX_ROW_LIMIT = '50';
const influx = await startInflux();
after(() => influx.stop());

/** A store on its own database, rollups as the service keeps them (in memory here). */
const storeOn = (database: string) =>
  createInfluxStore({ url: influx.url, database, retentionDays: 3650, rollupState: memoryState() });

/** 120 samples of main's `/r`, `at(i)` ms after the epoch, what differs from `fields(i)`. */
const samples = (
  at: (i: number) => number,
  fields: (i: number) => Partial<QueuedSample> = () => ({}),
) =>
  Array.from(
    { length: 120 },
    (_, i): QueuedSample => ({
      seq: i + 1,
      service: 'main',
      route: '/r',
      method: 'GET',
      status: 200,
      durationMs: 1,
      timestamp: new Date(at(i)).toISOString(),
      requestId: null,
      userId: null,
      upstream: null,
      ...fields(i),
    }),
  );

test('InfluxDB rollups stay exact when the server cuts long answers short (max-row-limit)', async () => {
  const store = storeOn('row_limit');
  const start = Date.UTC(2026, 0, 10, 12);
  // Three minutes of 40 samples: 120 raw rows for one run of minutes, more than 50.
  await store.writeSamples(
    samples(
      (i) => start + Math.floor(i / 40) * 60_000 + (i % 40) * 1000,
      (i) => ({ status: i % 10 === 0 ? 500 : 200, durationMs: (i % 40) + 1 }),
    ),
  );
  while ((await store.settle!()) > 0) {}
  const range = { from: new Date(start), to: new Date(start + 3 * 60_000) };
  const minutes = await store.performance({ ...range, intervalSeconds: 60 });
  assert.deepEqual(
    minutes.map((p) => [p.time.getTime() - start, p.requests, p.errors]),
    [
      [0, 40, 4],
      [60_000, 40, 4],
      [120_000, 40, 4],
    ],
  );
  const [quarter] = await store.performance({
    ...range,
    to: new Date(start + 900_000),
    intervalSeconds: 900,
  });
  assert.deepEqual([quarter?.requests, quarter?.errors], [120, 12]);
});

test("InfluxDB forgetting pass unlinks every point when the server's max-row-limit is below its page", async () => {
  // A page of 5,000 points was asked for whatever the server's limit: cut short, the query failed
  // (QueryTruncated), so the pass failed for every user of it at every tick, and no point of
  // theirs was unlinked.
  const store = storeOn('row_limit_forget');
  const gone = '7d1c2a9e-0b7d-4c3e-9a51-2d6e8f0a1b2c';
  const start = Date.UTC(2026, 0, 10, 12);
  await store.writeSamples(
    samples(
      (i) => start + i * 1000,
      () => ({ userId: gone }),
    ),
  );
  const users = [{ userId: gone, pseudonym: 'deleted-row-limit' }];
  assert.equal((await store.forgetUsers(users)).rewritten, 120);
  assert.equal((await store.forgetUsers(users)).rewritten, 0);
});
