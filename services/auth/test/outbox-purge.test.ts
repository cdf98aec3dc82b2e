import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { PURGE_EVENTS_SQL, purgePublishedEvents } from '@platform/outbox';
import { createTestDatabase, TEST_SECRETS } from '@platform/testing';
import pg from 'pg';
import { readConfig } from '../src/config.ts';

const database = await createTestDatabase({
  migrations: path.resolve(import.meta.dirname, '../drizzle'),
});
const pool = new pg.Pool({ connectionString: database.url });
after(async () => {
  await pool.end();
  await database.drop();
});

test('migrated, the outbox purge reads published rows from outbox_published_idx, not the whole table', async () => {
  await pool.query(
    `insert into outbox (type, payload, occurred_at, published_at)
     select 'user.logged_in', '{}'::jsonb, t, t
       from generate_series(1, 40000) as n, lateral (select now() - (n % 2 * 30) * interval '1 day' as t) as at`,
  );
  await pool.query('analyze outbox');
  const { rows } = await pool.query<{ 'QUERY PLAN': string }>(
    `explain ${PURGE_EVENTS_SQL.replace('$1', String(7 * 86_400_000)).replace('$2', '5000')}`,
  );
  const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
  assert.match(plan, /Index Scan using outbox_published_idx/);
  assert.doesNotMatch(plan, /Seq Scan/);
  assert.equal(await purgePublishedEvents(pool), 20000);
});

test('OUTBOX_RETENTION_DAYS: 7 by default, 0 turns the purge off, negative is refused', () => {
  const env = { DATABASE_URL: database.url, ...TEST_SECRETS };
  assert.equal(readConfig(env).OUTBOX_RETENTION_DAYS, 7);
  assert.equal(readConfig({ ...env, OUTBOX_RETENTION_DAYS: '0' }).OUTBOX_RETENTION_DAYS, 0);
  assert.throws(
    () => readConfig({ ...env, OUTBOX_RETENTION_DAYS: '-1' }),
    /OUTBOX_RETENTION_DAYS is invalid: expected a number of days/,
  );
});
