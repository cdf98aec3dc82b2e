import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { createTestDatabase, migrateBefore } from '@platform/testing';
import { openDatabase } from '../src/db/index.ts';
import { createPostgresStore } from '../src/store/postgres.ts';
import { sql } from './helper.ts';

const migrations = path.resolve(import.meta.dirname, '../drizzle');

test('samples stored before the rollups existed are rolled up by the migrations', async () => {
  const db = await createTestDatabase();
  after(() => db.drop());
  // The schema as it was before rollups: the first two migrations only.
  await migrateBefore(db.url, migrations, '0002');
  const hour = Date.UTC(2026, 0, 10, 12);
  await sql(
    db.url,
    `insert into samples (seq, service, route, method, status, duration_ms, occurred_at)
     select g, 'main', '/r', 'GET', case when g <= 5 then 500 else 200 end, g,
       to_timestamp(($1::float8 + g * 30000) / 1000) from generate_series(1, 100) g`,
    [hour],
  );

  const database = await openDatabase(db.url);
  after(() => database.close());
  const store = createPostgresStore(database.db);
  const range = { from: new Date(hour), to: new Date(hour + 3600_000) };
  for (const intervalSeconds of [60, 900, 3600]) {
    const points = await store.performance({ ...range, intervalSeconds });
    assert.equal(
      points.reduce((n, p) => n + p.requests, 0),
      100,
      `${intervalSeconds}s: requests`,
    );
    assert.equal(
      points.reduce((n, p) => n + p.errors, 0),
      5,
    );
  }
  const [whole] = await store.performance({ ...range, intervalSeconds: 3600 });
  // Exact nearest-rank p50 of 1..100 ms is 50, p99 is 99: within the 10 % bound.
  assert.ok(whole && Math.abs((whole.p50 ?? 0) - 50) <= 5, String(whole?.p50));
  assert.ok(whole && Math.abs((whole.p99 ?? 0) - 99) <= 9.9, String(whole?.p99));
});
