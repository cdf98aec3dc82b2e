import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseSubscribers, startOutboxRelay, subscribesTo } from '../src/index.ts';
import { outboxDatabase, quietLog, startRelay, subscriber, TOKEN, until } from './helpers.ts';

const pool = await outboxDatabase();

/** A stand-in for analytics `/internal/events` that fails the first `failures` calls. */
async function fakeAnalytics(failures: number) {
  const received: { id: string; type: string; user_id?: string; occurred_at?: string }[] = [];
  const tokens: (string | undefined)[] = [];
  let calls = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      calls += 1;
      tokens.push(req.headers['x-service-token'] as string | undefined);
      if (calls <= failures) {
        res.writeHead(503).end();
        return;
      }
      received.push(...JSON.parse(body).events);
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":1}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, tokens, calls: () => calls };
}

test('rows are sent in id order with service-prefixed ids, after failures, and marked published', async () => {
  const analytics = await fakeAnalytics(2);
  for (let i = 0; i < 5; i += 1) {
    await pool.query('insert into outbox (type, payload) values ($1, $2)', [
      'user.registered',
      { user_id: `u${i}` },
    ]);
  }
  const relay = startRelay({
    pool,
    subscribers: [{ name: 'analytics', types: ['*'], url: analytics.url }],
    batchSize: 2,
  });
  for (let i = 0; i < 200 && analytics.received.length < 5; i += 1) await sleep(25);
  await relay.idle();
  assert.deepEqual(
    analytics.received.map((e) => e.id),
    ['auth:1', 'auth:2', 'auth:3', 'auth:4', 'auth:5'],
  );
  assert.equal(analytics.received[0]?.user_id, 'u0');
  assert.ok(analytics.tokens.every((t) => t === TOKEN));
  const { rows } = await pool.query(
    'select count(*)::int as n from outbox where published_at is null',
  );
  assert.equal(rows[0].n, 0);
  await relay.close();
  const calls = analytics.calls();
  await pool.query("insert into outbox (type, payload) values ('user.logged_in', '{}')");
  await sleep(200);
  assert.equal(analytics.calls(), calls, 'a closed relay sends nothing');
});

test('rows written later are picked up; each id is sent once when analytics answers', async () => {
  const analytics = await fakeAnalytics(0);
  await pool.query('update outbox set published_at = now()');
  const relay = startOutboxRelay({
    db: { $client: pool },
    service: 'main',
    subscribers: [{ name: 'analytics', types: ['*'], url: analytics.url }],
    serviceToken: TOKEN,
    log: quietLog,
    intervalMs: 20,
  });
  after(() => relay.close());
  const { rows } = await pool.query(
    'insert into outbox (type, payload) values (\'post.created\', \'{"actor_id":"a1"}\') returning id',
  );
  for (let i = 0; i < 200 && analytics.received.length < 1; i += 1) await sleep(25);
  await relay.idle();
  assert.deepEqual(analytics.received, [
    {
      id: `main:${rows[0].id}`,
      type: 'post.created',
      user_id: 'a1',
      occurred_at: analytics.received[0]?.occurred_at,
      payload: { actor_id: 'a1' },
    },
  ]);
  await relay.close();
});

test('each subscriber gets the types it subscribes to; a batch waits for all of them', async () => {
  await pool.query('update outbox set published_at = now()');
  const everything = await fakeAnalytics(0);
  const deletions = await fakeAnalytics(2);
  await pool.query(`insert into outbox (type, payload) values
    ('user.registered', '{"user_id":"u1"}'), ('user.deleted', '{"user_id":"u1"}'),
    ('post.created', '{"actor_id":"u2"}')`);
  const relay = startRelay({
    pool,
    subscribers: [
      { name: 'analytics', types: ['*'], url: everything.url },
      { name: 'main', types: ['user.deleted'], url: deletions.url },
    ],
  });
  for (let i = 0; i < 200 && deletions.received.length < 1; i += 1) await sleep(25);
  await relay.idle();
  assert.deepEqual(
    deletions.received.map((e) => e.type),
    ['user.deleted'],
  );
  // The two refusals held the batch back; analytics got it again each time, as at-least-once says.
  assert.equal(everything.calls(), 3);
  assert.deepEqual(
    everything.received.slice(-3).map((e) => e.type),
    ['user.registered', 'user.deleted', 'post.created'],
  );
  const { rows } = await pool.query(
    'select count(*)::int as n from outbox where published_at is null',
  );
  assert.equal(rows[0].n, 0);
  await relay.close();
});

test('an event a subscriber refuses on its own, again and again, is set aside; the events after it go on', async () => {
  await pool.query('update outbox set published_at = now()');
  const analytics = await subscriber((events) =>
    events.some((e) => e.payload.poison) ? 400 : 202,
  );
  const { rows: ids } = await pool.query<{ id: string }>(`insert into outbox (type, payload) values
    ('user.registered', '{"n":1}'), ('user.registered', '{"n":2}'),
    ('user.registered', '{"n":3,"poison":true}'), ('user.registered', '{"n":4}'),
    ('user.registered', '{"n":5}') returning id::text as id`);
  const relay = startRelay({
    pool,
    subscribers: [{ name: 'analytics', types: ['*'], url: analytics.url }],
    // Set aside on the second refusal, however soon (relay-refusals.test.ts: the defaults).
    setAsideAfterRefusals: 2,
    setAsideAfterMs: 0,
  });
  const aside = async () =>
    (
      await pool.query(
        'select id::text as id, failure, refusals from outbox where set_aside_at is not null',
      )
    ).rows;
  await until(async () => (await aside()).length > 0);
  await relay.idle();
  const expected = (indexes: number[]) => indexes.map((i) => `auth:${ids[i]!.id}`);
  assert.deepEqual(analytics.received, expected([0, 1, 3, 4]));
  const rows = await aside();
  assert.deepEqual(
    rows.map((r) => [r.id, r.refusals]),
    [[ids[2]!.id, 2]],
  );
  assert.match(rows[0].failure, /^analytics answered 400: .*validation_failed/);
  // It is not sent again, and what comes later is.
  const calls = analytics.calls();
  const { rows: later } = await pool.query<{ id: string }>(
    `insert into outbox (type, payload) values ('user.logged_in', '{}') returning id::text as id`,
  );
  for (let i = 0; i < 200 && analytics.received.length < 5; i += 1) await sleep(25);
  await relay.idle();
  assert.equal(analytics.received.at(-1), `auth:${later[0]!.id}`);
  assert.equal(analytics.calls(), calls + 1);
  await relay.close();
});

test('an event one subscriber refuses still reaches the others (main still hears of user.deleted)', async () => {
  await pool.query('update outbox set published_at = now() where set_aside_at is null');
  const analytics = await subscriber((events) =>
    events.some((e) => e.payload.poison) ? 422 : 202,
  );
  const main = await subscriber(() => 202);
  const { rows: ids } = await pool.query<{ id: string }>(`insert into outbox (type, payload) values
    ('user.registered', '{}'), ('user.deleted', '{"poison":true}') returning id::text as id`);
  const relay = startRelay({
    pool,
    subscribers: [
      { name: 'analytics', types: ['*'], url: analytics.url },
      { name: 'main', types: ['user.deleted'], url: main.url },
    ],
    setAsideAfterRefusals: 3,
    setAsideAfterMs: 0,
  });
  const aside = async () =>
    (
      await pool.query(
        'select failure, delivered_to from outbox where id = $1 and set_aside_at is not null',
        [ids[1]!.id],
      )
    ).rows;
  await until(async () => (await aside()).length > 0);
  await relay.close();
  assert.deepEqual(analytics.received, [`auth:${ids[0]!.id}`]);
  // Sent again to analytics alone: main took it on the first attempt.
  assert.equal(analytics.batches.filter((b) => b.ids.includes(`auth:${ids[1]!.id}`)).length, 4);
  assert.deepEqual(main.received, [`auth:${ids[1]!.id}`]);
  const [row] = await aside();
  assert.match(row?.failure ?? '', /^analytics answered 422/);
  assert.deepEqual(row?.delivered_to, ['main']);
  // The tests below count what is set aside.
  await pool.query('delete from outbox where id = $1', [ids[1]!.id]);
});

test('an event refused by a subscriber that wants only it holds nothing back, and is set aside in time', async () => {
  await pool.query('update outbox set published_at = now() where set_aside_at is null');
  const analytics = await subscriber(() => 202);
  const main = await subscriber(() => 422);
  const { rows: ids } = await pool.query<{ id: string }>(`insert into outbox (type, payload) values
    ('user.deleted', '{"poison":true}'), ('user.registered', '{}'), ('user.logged_in', '{}')
    returning id::text as id`);
  const relay = startRelay({
    pool,
    subscribers: [
      { name: 'analytics', types: ['*'], url: analytics.url },
      { name: 'main', types: ['user.deleted'], url: main.url },
    ],
    setAsideAfterRefusals: 2,
    setAsideAfterMs: 300,
  });
  for (let i = 0; i < 400; i += 1) {
    const { rows } = await pool.query(
      'select 1 from outbox where published_at is null and set_aside_at is null',
    );
    if (rows.length === 0) break;
    await sleep(25);
  }
  await relay.close();
  const { rows } = await pool.query(
    `select id::text as id, failure from outbox
      where set_aside_at is not null and id = any($1::bigint[])`,
    [ids.map((r) => r.id)],
  );
  assert.deepEqual(
    rows.map((r) => r.id),
    [ids[0]!.id],
  );
  assert.match(rows[0].failure, /^main answered 422/);
  // The others went on in the pass that first saw it refused, not once it was set aside.
  const published = await pool.query(
    `select count(*)::int as n from outbox where id = any($1::bigint[])
        and published_at <= (select first_refused_at from outbox where id = $2)`,
    [[ids[1]!.id, ids[2]!.id], ids[0]!.id],
  );
  assert.equal(published.rows[0].n, 2);
  // The tests below count what is set aside.
  await pool.query('delete from outbox where id = $1', [ids[0]!.id]);
});

for (const [what, status] of [
  ['a wrong service token: 401', 401],
  ['every event refused with 400, as by an older version during a deploy', 400],
] as const)
  test(`a refusal that is not about one event (${what}) sets nothing aside`, async () => {
    await pool.query('update outbox set published_at = now() where set_aside_at is null');
    const analytics = await subscriber(() => status);
    await pool.query(`insert into outbox (type, payload) values
    ('user.registered', '{}'), ('user.registered', '{}')`);
    const relay = startRelay({
      pool,
      subscribers: [{ name: 'analytics', types: ['*'], url: analytics.url }],
      maxBackoffMs: 20,
    });
    for (let i = 0; i < 200 && analytics.calls() < 3; i += 1) await sleep(25);
    await relay.close();
    const { rows } = await pool.query(
      `select count(*) filter (where published_at is null and set_aside_at is null)::int as waiting,
            count(*) filter (where set_aside_at is not null)::int as aside,
            count(*) filter (where set_aside_at is null and refusals > 0)::int as refused
       from outbox`,
    );
    // Not even counted as refusals of these events: they wait, as for a subscriber that is down.
    assert.deepEqual(rows[0], { waiting: 2, aside: 1, refused: 0 });
  });

test('EVENT_SUBSCRIBERS is read as name:type,type=url entries; types match exactly or by family', () => {
  assert.deepEqual(
    parseSubscribers('analytics:*=http://analytics:8083;main:user.deleted,post.*=http://main:8082'),
    [
      { name: 'analytics', types: ['*'], url: 'http://analytics:8083' },
      { name: 'main', types: ['user.deleted', 'post.*'], url: 'http://main:8082' },
    ],
  );
  assert.deepEqual(parseSubscribers(undefined), []);
  assert.deepEqual(parseSubscribers(' '), []);
  assert.throws(() => parseSubscribers('main=http://main'), /EVENT_SUBSCRIBERS/);
  assert.ok(subscribesTo(['user.*'], 'user.deleted'));
  assert.ok(!subscribesTo(['user.*'], 'users.deleted'));
  assert.ok(!subscribesTo(['user.deleted'], 'user.registered'));
  assert.ok(subscribesTo(['*'], 'post.created'));
});
