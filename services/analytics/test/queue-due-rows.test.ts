import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase } from '@platform/testing';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { dueRowsStatement } from '../src/ingestion/queue.ts';
import { packRow } from '../src/ingestion/row-packing.ts';

// A pass's transaction begins, then a request's row commits, then the pass looks for due rows.
// `now()` is when a transaction began, so the row (due from its own transaction's `now()`) was
// not due yet to the pass: it found nothing and forgot every row of the writer's memory as gone
// (writer.ts take), so they were read back from the table and unpacked. Seen in CI as a pass that
// wrote a row as stored items though the process had encoded it as it was accepted.
test('a row committed after a pass began is due to that pass', async (t) => {
  const db = await createTestDatabase({
    migrations: path.resolve(import.meta.dirname, '../drizzle'),
  });
  const pass = new pg.Client({ connectionString: db.url });
  const request = new pg.Client({ connectionString: db.url });
  await pass.connect();
  await request.connect();
  t.after(async () => {
    await pass.end();
    await request.end();
    await db.drop();
  });
  await pass.query('begin');
  await pass.query('select 1');
  await sleep(20);
  await request.query(`insert into queue (kind, packed) values ('event', $1)`, [
    packRow(JSON.stringify([{ id: 'late-1', event: 'late' }])),
  ]);
  const rows = (await drizzle(pass).execute(dueRowsStatement(20))).rows;
  await pass.query('rollback');
  assert.equal(rows.length, 1);
});
