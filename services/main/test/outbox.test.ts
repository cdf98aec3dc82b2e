import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PENDING_EVENTS_SQL, PURGE_EVENTS_SQL, purgePublishedEvents } from '@platform/outbox';
import { TEST_SECRETS } from '@platform/testing';
import pg from 'pg';
import { readConfig } from '../src/config.ts';
import { authHeader, buildTestMain, createPost } from './helper.ts';

const main = await buildTestMain();
const alice = await main.user();

interface Row {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  published_at: Date | null;
}
const events = (postId: string) =>
  main.sql<Row>(
    `select id, type, payload, published_at from outbox where payload->>'post_id' = $1 order by id`,
    [postId],
  );

test('every change writes its domain event to the outbox', async () => {
  const post = await createPost(main, alice, { status: 'draft', tags: ['x'] });
  await main.app.inject({
    method: 'PATCH',
    url: `/main/v1/posts/${post.id}`,
    headers: authHeader(alice),
    payload: { status: 'published' },
  });
  await main.app.inject({
    method: 'PATCH',
    url: `/main/v1/posts/${post.id}`,
    headers: authHeader(alice),
    payload: { body: 'again' },
  });
  await main.app.inject({
    method: 'DELETE',
    url: `/main/v1/posts/${post.id}`,
    headers: authHeader(alice),
  });
  const rows = await events(post.id);
  assert.deepEqual(
    rows.map((r) => r.type),
    ['post.created', 'post.updated', 'post.published', 'post.updated', 'post.deleted'],
  );
  assert.deepEqual(rows[0]!.payload, {
    post_id: post.id,
    slug: post.slug,
    status: 'draft',
    author_id: alice.id,
    actor_id: alice.id,
    category_id: null,
    tags: ['x'],
  });
  assert.equal(rows[2]!.payload.status, 'published');
  // Nothing relays them here: they wait, unpublished, for packages/outbox.
  assert.ok(rows.every((r) => r.published_at === null));

  const direct = await createPost(main, alice);
  assert.deepEqual(
    (await events(direct.id)).map((r) => r.type),
    ['post.created', 'post.published'],
  );
});

test('the event and the post commit together: when one fails, neither exists', async () => {
  // Make every outbox insert fail, as a crash between the two writes would.
  await main.sql(`alter table outbox add constraint refuse_all check (type = 'never') not valid`);
  try {
    const res = await main.app.inject({
      method: 'POST',
      url: '/main/v1/posts',
      headers: authHeader(alice),
      payload: { title: 'Doomed post', body: 'never stored', tags: ['doomed'] },
    });
    assert.equal(res.statusCode, 500);
    assert.doesNotMatch(res.body, /outbox|refuse_all|insert/i);
    assert.deepEqual(await main.sql(`select id from posts where title = 'Doomed post'`), []);
    assert.deepEqual(await main.sql(`select slug from tags where slug = 'doomed'`), []);
  } finally {
    await main.sql('alter table outbox drop constraint refuse_all');
  }
});

test('events wait unpublished until a relay marks them: no relay, or a dead one, loses nothing', async () => {
  const post = await createPost(main, alice);
  // Read over a separate connection, as a relay started after a crash would: the events were
  // committed with the post and are still due.
  const rows = await events(post.id);
  assert.deepEqual(
    rows.map((r) => [r.type, r.published_at]),
    [
      ['post.created', null],
      ['post.published', null],
    ],
  );
  const pending = await main.sql<{ n: number }>(
    'select count(*)::int as n from outbox where published_at is null',
  );
  assert.ok(pending[0]!.n >= 2);
});

test('events set aside are not read again: a pass reads only the rows it may send', async () => {
  // Set-aside events stay unpublished for good (an operator may send them again). In the index a
  // pass reads, every pass (each 500 ms) walked past all of them, oldest first: work that grew
  // with each poisoned event, forever.
  await main.sql(
    `insert into outbox (type, payload, set_aside_at, failure, refusals)
     select 'post.created', '{}'::jsonb, now(), 'refused', 5 from generate_series(1, 3000)`,
  );
  await main.sql('analyze outbox');
  const [explained] = await main.sql<{ 'QUERY PLAN': unknown }>(
    `explain (analyze, format json) ${PENDING_EVENTS_SQL.replace('$1', '200')}`,
  );
  // Every row a scan of the plan looked at: those it returned and those its filter dropped.
  let looked = 0;
  const walk = (node: Record<string, unknown>) => {
    if (node['Relation Name'] === 'outbox') {
      looked += Number(node['Actual Rows'] ?? 0) + Number(node['Rows Removed by Filter'] ?? 0);
    }
    for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
  };
  walk((explained!['QUERY PLAN'] as { Plan: Record<string, unknown> }[])[0]!.Plan);
  assert.ok(looked < 100, `a pass looked at ${looked} outbox rows`);
  await main.sql(`delete from outbox where set_aside_at is not null and failure = 'refused'`);
});

test('published events are purged through outbox_published_idx (migration 0012), not a scan of the table', async () => {
  await main.sql(
    `insert into outbox (type, payload, occurred_at, published_at)
     select 'post.updated', '{}'::jsonb, t, t
       from generate_series(1, 40000) as n, lateral (select now() - (n % 2 * 30) * interval '1 day' as t) as at`,
  );
  await main.sql('analyze outbox');
  const plan = (
    await main.sql<{ 'QUERY PLAN': string }>(
      `explain ${PURGE_EVENTS_SQL.replace('$1', String(7 * 86_400_000)).replace('$2', '5000')}`,
    )
  )
    .map((r) => r['QUERY PLAN'])
    .join('\n');
  assert.match(plan, /Index Scan using outbox_published_idx/);
  assert.doesNotMatch(plan, /Seq Scan/);
  const pool = new pg.Pool({ connectionString: main.databaseUrl });
  try {
    assert.equal(await purgePublishedEvents(pool), 20000);
  } finally {
    await pool.end();
  }
});

test('OUTBOX_RETENTION_DAYS: 7 by default, 0 turns the purge off, negative is refused', () => {
  const env = {
    DATABASE_URL: main.databaseUrl,
    AUTH_URL: 'http://127.0.0.1:1',
    SERVICE_TOKEN: TEST_SECRETS.SERVICE_TOKEN,
  };
  assert.equal(readConfig(env).OUTBOX_RETENTION_DAYS, 7);
  assert.equal(readConfig({ ...env, OUTBOX_RETENTION_DAYS: '0' }).OUTBOX_RETENTION_DAYS, 0);
  assert.throws(
    () => readConfig({ ...env, OUTBOX_RETENTION_DAYS: '-1' }),
    /OUTBOX_RETENTION_DAYS is invalid: expected a number of days/,
  );
});
