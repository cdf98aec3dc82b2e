import assert from 'node:assert/strict';
import { after, beforeEach, test } from 'node:test';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import {
  PURGE_EVENTS_SQL,
  purgePublishedEvents,
  relayOutbox,
  startOutboxRelay,
} from '../src/index.ts';
import { outboxDatabase, quietLog, TOKEN, until } from './helpers.ts';

const pool = await outboxDatabase();
beforeEach(() => pool.query('truncate outbox restart identity'));

const DAY_MS = 24 * 3600_000;
const relayOptions = {
  pool,
  service: 'auth',
  subscribers: [],
  serviceToken: TOKEN,
  log: quietLog,
};

/** `count` events of each kind, published (or written, or set aside) `days` ago. */
async function insert(kind: 'published' | 'unpublished' | 'aside', days: number, count = 1) {
  await pool.query(
    `insert into outbox (type, payload, occurred_at, published_at, set_aside_at, refusals, failure)
     select 'user.registered', jsonb_build_object('kind', $1::text), t,
            case when $1 = 'published' then t end, case when $1 = 'aside' then t end,
            case when $1 = 'aside' then 5 else 0 end,
            case when $1 = 'aside' then 'analytics answered 422' end
       from generate_series(1, $3::int), (select now() - $2 * interval '1 day' as t) as at`,
    [kind, days, count],
  );
}

const left = async () =>
  (
    await pool.query<{ kind: string; days: number; n: number }>(
      `select payload->>'kind' as kind, round(extract(epoch from now() - occurred_at) / 86400)::int as days,
              count(*)::int as n
         from outbox group by 1, 2 order by 1, 2`,
    )
  ).rows;

test('published events older than the retention (7 days by default) go; newer, unpublished and set-aside ones stay', async () => {
  await insert('published', 30, 3);
  await insert('published', 8, 2);
  await insert('published', 6);
  await insert('published', 0);
  await insert('unpublished', 30);
  await insert('aside', 30);

  assert.equal(await purgePublishedEvents(pool), 5);
  assert.deepEqual(await left(), [
    { kind: 'aside', days: 30, n: 1 },
    { kind: 'published', days: 0, n: 1 },
    { kind: 'published', days: 6, n: 1 },
    { kind: 'unpublished', days: 30, n: 1 },
  ]);
  // A shorter retention reaches the 6-day-old one, still never the others.
  assert.equal(await purgePublishedEvents(pool, { retentionMs: 5 * DAY_MS }), 1);
  assert.equal((await left()).length, 3);
});

test('a backlog larger than a batch goes in statements of purgeBatchSize rows, purgeBatches per purge', async () => {
  await insert('published', 10, 25);
  const purge = () => purgePublishedEvents(pool, { purgeBatchSize: 10, purgeBatches: 2 });
  // One purge: two DELETEs of 10, the rest left for the next purge.
  assert.equal(await purge(), 20);
  assert.deepEqual(await left(), [{ kind: 'published', days: 10, n: 5 }]);
  assert.equal(await purge(), 5);
  assert.deepEqual(await left(), []);
  // One statement deletes one batch, not the backlog.
  await insert('published', 10, 25);
  assert.equal(await purgePublishedEvents(pool, { purgeBatchSize: 10, purgeBatches: 1 }), 10);
});

test('while one replica purges, another skips its turn; two relays purging at once neither fail nor deadlock', async () => {
  await insert('published', 10, 50);
  const other = await pool.connect();
  try {
    await other.query(`select pg_advisory_lock(hashtext('outbox-purge'))`);
    assert.equal(await purgePublishedEvents(pool), 0);
    assert.equal((await left())[0]?.n, 50);
  } finally {
    await other.query(`select pg_advisory_unlock(hashtext('outbox-purge'))`);
    other.release();
  }

  await insert('published', 10, 3000);
  await insert('unpublished', 10);
  const warnings: unknown[] = [];
  const options = {
    ...relayOptions,
    log: { ...quietLog, warn: (o: object) => warnings.push(o) },
    purgeIntervalMs: 5,
    purgeBatchSize: 100,
    purgeBatches: 3,
  };
  const counts = [0, 0];
  const relays = [0, 1].map((i) =>
    startOutboxRelay({ ...options, onPurged: (n) => (counts[i]! += n) }),
  );
  after(() => Promise.all(relays.map((r) => r.close())));
  // Their timers and explicit purges, all at once.
  const explicit = await Promise.all([...relays, ...relays].map((r) => r.purge()));
  await until(async () => (await left()).every((r) => r.kind !== 'published'));
  await Promise.all(relays.map((r) => r.close()));

  assert.deepEqual(warnings, []);
  assert.equal(counts[0]! + counts[1]!, 3050);
  assert.ok(
    explicit.every((n) => n <= 300),
    `${explicit}`,
  );
  assert.deepEqual(await left(), [{ kind: 'unpublished', days: 10, n: 1 }]);
});

test('OUTBOX_RETENTION_DAYS=0 (retentionMs 0) keeps every event', async () => {
  await insert('published', 400, 5);
  assert.equal(await purgePublishedEvents(pool, { retentionMs: 0 }), 0);
  const relay = startOutboxRelay({ ...relayOptions, retentionMs: 0, purgeIntervalMs: 5 });
  after(() => relay.close());
  assert.equal(await relay.purge(), 0);
  await relay.close();
  assert.deepEqual(await left(), [{ kind: 'published', days: 400, n: 5 }]);
});

test('the relay purges on its timer and counts outbox_purged_events_total', async () => {
  await insert('published', 10, 7);
  await insert('published', 1, 2);
  const app = Fastify();
  app.decorate('metrics', new Registry());
  relayOutbox(app, { ...relayOptions, purgeIntervalMs: 20 });
  await app.ready();
  after(() => app.close());
  const counted = () => app.metrics.getSingleMetricAsString('outbox_purged_events_total');
  // The rows go with the purge's commit; the count follows when the purge returns.
  await until(async () => (await left()).every((r) => r.days === 1));
  await until(async () => /^outbox_purged_events_total [1-9]/m.test(await counted()));
  const text = await counted();
  await app.close();
  assert.match(text, /^outbox_purged_events_total 7$/m);
  assert.deepEqual(await left(), [{ kind: 'published', days: 1, n: 2 }]);
});

test('a purge batch is read from outbox_published_idx, not a scan of the table', async () => {
  await insert('published', 30, 50_000);
  await insert('published', 1, 50_000);
  await pool.query('analyze outbox');
  const { rows } = await pool.query<{ 'QUERY PLAN': string }>(
    `explain ${PURGE_EVENTS_SQL.replace('$1', String(7 * DAY_MS)).replace('$2', '5000')}`,
  );
  const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
  assert.match(plan, /Index Scan using outbox_published_idx/);
  assert.doesNotMatch(plan, /Seq Scan/);
});
