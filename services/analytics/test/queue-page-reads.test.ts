import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { sql as query } from 'drizzle-orm';
import { backlogStatement, queueBacklog } from '../src/ingestion/metrics.ts';
import {
  dueRowsStatement,
  pruneClaims,
  pruneClaimsStatement,
  rowsAfterStatement,
} from '../src/ingestion/queue.ts';
import { packRow } from '../src/ingestion/row-packing.ts';
import { buildTestAnalytics, downStore, sql } from './helper.ts';

/** Heap and index pages a statement reads (EXPLAIN's buffers of the whole plan). */
async function pagesRead(t: Awaited<ReturnType<typeof buildTestAnalytics>>, counted: number) {
  const { rows } = await t.database.db.execute<{
    'QUERY PLAN': [{ Plan: Record<string, number> }];
  }>(query`explain (analyze, buffers, format json) ${backlogStatement(counted)}`);
  const plan = rows[0]!['QUERY PLAN'][0].Plan;
  return plan['Shared Hit Blocks']! + plan['Shared Read Blocks']!;
}

test('the backlog gauges count rows up to a bound and read no more pages than that', async () => {
  // The store is down: the rows wait.
  const t = await buildTestAnalytics({}, { store: downStore().store });
  // Rows of ~7 KB packed, a heap page each, as a 500-event request's.
  const item = {
    id: 'metrics-1',
    event: 'metrics.row',
    source: 'client',
    userId: null,
    anonymousId: null,
    properties: JSON.stringify({ noise: randomBytes(6800).toString('hex') }),
    timestamp: new Date().toISOString(),
  };
  const packed = packRow(JSON.stringify([item]));
  assert.ok(packed.length > 6000, `${packed.length} bytes`);
  await sql(
    t.databaseUrl,
    `insert into queue (kind, packed, enqueued_at)
     select 'event', $1, now() - interval '1 minute' from generate_series(1, 300)`,
    [packed],
  );

  assert.deepEqual((await queueBacklog(t.database.db)).rows, 300);
  // Past the bound, the span of the sequence numbers waiting: here exact, rows leave in order.
  assert.deepEqual((await queueBacklog(t.database.db, 100)).rows, 300);
  assert.ok((await queueBacklog(t.database.db, 100)).oldestSeconds >= 60);
  // A scan of the whole table reads every row's page, twice (the count, the oldest time): 600.
  const pages = await pagesRead(t, 100);
  assert.ok(pages < 150, `${pages} pages read`);

  await sql(
    t.databaseUrl,
    'delete from queue where seq in (select seq from queue order by seq limit 50)',
  );
  assert.equal((await queueBacklog(t.database.db, 100)).rows, 250);
  assert.equal((await queueBacklog(t.database.db, 1000)).rows, 250);

  await sql(t.databaseUrl, 'delete from queue');
  assert.deepEqual(await queueBacklog(t.database.db, 100), { rows: 0, oldestSeconds: 0 });
});

test('pruning claim outcomes reads the queue by its primary key, not a page per waiting row', async () => {
  const t = await buildTestAnalytics({}, { store: downStore().store });
  const packed = packRow(
    JSON.stringify([{ id: 'prune-1', properties: randomBytes(6800).toString('hex') }]),
  );
  const [{ first }] = await sql(
    t.databaseUrl,
    `with rows as (insert into queue (kind, packed) select 'event', $1 from generate_series(1, 300)
       returning seq)
     select min(seq)::float8 as first from rows`,
    [packed],
  );
  // An outcome for each waiting row (claimed ahead while the store is down), and three orphans:
  // before the oldest row, after the newest, and one inside whose row left out of order.
  await sql(
    t.databaseUrl,
    `insert into queue_claims (seq, lost)
     select seq, '{}'::int[] from queue
     union all values ($1::bigint - 5, '{}'::int[]), ($1 + 1000, '{}'::int[])`,
    [first],
  );
  await sql(t.databaseUrl, 'delete from queue where seq = $1 + 7', [first]);
  const { rows } = await t.database.db.execute<{
    'QUERY PLAN': [{ Plan: Record<string, number> }];
  }>(query`explain (analyze, buffers, format json) ${pruneClaimsStatement}`);
  const plan = rows[0]!['QUERY PLAN'][0].Plan;
  const pages = plan['Shared Hit Blocks']! + plan['Shared Read Blocks']!;
  assert.ok(pages < 100, `${pages} pages read`);
  const left = await sql(t.databaseUrl, 'select seq::float8 as seq from queue_claims order by seq');
  assert.equal(left.length, 300, 'the orphans at either end are gone');
  assert.equal(left[0]!.seq, first);
  // Once the rows before it are gone, so is the one inside.
  await sql(t.databaseUrl, 'delete from queue where seq < $1 + 10', [first]);
  await pruneClaims(t.database.db);
  const after = await sql(t.databaseUrl, 'select min(seq)::float8 as seq from queue_claims');
  assert.equal(after[0]!.seq, first + 10);
});

test("the writer's passes lock the oldest rows through the primary key, not by sorting the queue", async () => {
  const t = await buildTestAnalytics({}, { store: downStore().store });
  await t.app.close();
  const packed = packRow(
    JSON.stringify([{ id: 'lock-1', properties: randomBytes(6800).toString('hex') }]),
  );
  await sql(
    t.databaseUrl,
    `insert into queue (kind, packed) select 'event', $1 from generate_series(1, 300)`,
    [packed],
  );
  for (const statement of [dueRowsStatement(20), rowsAfterStatement(0, 20)]) {
    // EXPLAIN ANALYZE takes the locks: in a transaction of its own, undone.
    const pages = await t.database.db
      .transaction(async (tx) => {
        const { rows } = await tx.execute<{
          'QUERY PLAN': [{ Plan: Record<string, number> }];
        }>(query`explain (analyze, buffers, format json) ${statement}`);
        const plan = rows[0]!['QUERY PLAN'][0].Plan;
        throw plan['Shared Hit Blocks']! + plan['Shared Read Blocks']!;
      })
      .catch((pages: number) => pages);
    assert.ok(pages < 100, `${pages} pages read to lock 20 rows of 300`);
  }
});
