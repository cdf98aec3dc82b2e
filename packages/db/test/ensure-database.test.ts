import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { query } from '@platform/testing';
import { ensureDatabase } from '../src/index.ts';

const server = process.env.TEST_POSTGRES_URL!;

test('a service name with hyphens gets its database, once (npm run new:service allows them)', async (t) => {
  const name = `order-history-${randomBytes(3).toString('hex')}`;
  t.after(() => query(server, `drop database if exists "${name}" with (force)`));
  const url = await ensureDatabase(server, name);
  assert.equal(new URL(url).pathname, `/${name}`);
  const [row] = await query<{ db: string }>(url, 'select current_database() as db');
  assert.equal(row?.db, name);
  // Again, as at every start: the same URL, nothing made twice.
  assert.equal(await ensureDatabase(server, name), url);
  const count = await query<{ n: number }>(
    server,
    'select count(*)::int as n from pg_database where datname = $1',
    [name],
  );
  assert.equal(count[0]?.n, 1);
});

test('a name that could leave its quotes, or is not a service name, is refused unasked', async () => {
  for (const name of ['bad"name', 'Upper', '1st', 'semi;colon', 'space name', 'x'.repeat(64)]) {
    await assert.rejects(ensureDatabase(server, name), /invalid database name/, name);
  }
});
