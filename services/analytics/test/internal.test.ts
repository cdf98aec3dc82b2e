import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestAnalytics, serviceHeaders, sql } from './helper.ts';
import { countPacks } from './pack-spy.ts';

const t = await buildTestAnalytics();

const post = (url: string, payload: object, headers: Record<string, string> = serviceHeaders) =>
  t.app.inject({ method: 'POST', url, headers, payload });

const domainEvent = (id: string, type = 'user.registered') => ({
  id,
  type,
  occurred_at: new Date().toISOString(),
  user_id: 'u-1',
  payload: { email_domain: 'example.com' },
});

const sample = (status = 200, route = '/main/v1/posts/42') => ({
  service: 'main',
  route,
  method: 'get',
  status,
  duration_ms: 12.5,
  timestamp: new Date().toISOString(),
  request_id: 'r1',
});

for (const url of ['/internal/events', '/internal/samples']) {
  test(`${url} refuses a missing or wrong service token with 401`, async () => {
    const body = url.endsWith('events')
      ? { events: [domainEvent('x:1')] }
      : { samples: [sample()] };
    assert.equal((await post(url, body, {})).statusCode, 401);
    const wrong = await post(url, body, { 'x-service-token': 'x'.repeat(40) });
    assert.equal(wrong.statusCode, 401);
    // Even a malformed body is refused for the token first: no validation detail leaks.
    assert.equal((await post(url, { nonsense: true }, {})).statusCode, 401);
  });
}

test('domain events are queued once: re-sending an id is a no-op', async () => {
  const first = await post('/internal/events', {
    events: [domainEvent('auth:1'), domainEvent('auth:2', 'user.logged_in')],
  });
  assert.equal(first.statusCode, 202, first.body);
  assert.equal(first.json().accepted, 2);
  await t.drained();
  const again = await post('/internal/events', {
    events: [domainEvent('auth:1'), domainEvent('auth:2', 'user.logged_in'), domainEvent('auth:3')],
  });
  assert.equal(again.statusCode, 202);
  assert.equal(again.json().accepted, 1);
  await t.drained();
  const rows = await sql(
    t.databaseUrl,
    "select event_id, name, source, user_id from events where event_id like 'auth:%' order by event_id",
  );
  assert.deepEqual(rows, [
    { event_id: 'auth:1', name: 'user.registered', source: 'auth', user_id: 'u-1' },
    { event_id: 'auth:2', name: 'user.logged_in', source: 'auth', user_id: 'u-1' },
    { event_id: 'auth:3', name: 'user.registered', source: 'auth', user_id: 'u-1' },
  ]);
});

test('a re-sent batch is known as such before its row is packed', async () => {
  // Packing 1000 events takes ~9 ms of the thread pool: a re-send (the relay's, after a lost
  // answer) packed the whole batch before its insert found every id taken.
  const batch = Array.from({ length: 50 }, (_, i) => domainEvent(`resend:${i}`));
  assert.equal((await post('/internal/events', { events: batch })).json().accepted, 50);
  await t.drained();
  let answer: { json(): { accepted: number } } | undefined;
  const whole = await countPacks(t.database.db, async () => {
    answer = await post('/internal/events', { events: batch });
  });
  assert.equal(answer?.json().accepted, 0);
  assert.equal(whole.total, 0, 'a fully repeated batch packs nothing');
  // A re-send with events added after: only they are packed, once.
  const more = await countPacks(t.database.db, async () => {
    answer = await post('/internal/events', {
      events: [...batch, domainEvent('resend:50'), domainEvent('resend:51')],
    });
  });
  assert.equal(answer?.json().accepted, 2);
  assert.equal(more.total, 1, 'the new events packed once');
  await t.drained();
  const rows = await sql(
    t.databaseUrl,
    "select count(*)::int as n from events where event_id like 'resend:%'",
  );
  assert.deepEqual(rows, [{ n: 52 }]);
});

test('an empty batch of domain events is accepted: nothing to queue', async () => {
  // The gated look-up of received ids probed the batch's first id: with none, the probe's
  // parameter was undefined, left out of the statement by Drizzle, and the statement a syntax
  // error (500). The schema takes an empty list.
  const answer = await post('/internal/events', { events: [] });
  assert.equal(answer.statusCode, 202, answer.body);
  assert.equal(answer.json().accepted, 0);
});

test('overlapping batches sent at once: each id counted once, none dropped', async () => {
  // Ten batches of ten ids, each sharing five with the next (an outbox retrying while its first
  // try still runs, two replicas relaying): some are undone and queued again without the ids
  // another committed first.
  const ids = (k: number) => Array.from({ length: 10 }, (_, i) => `race:${k * 5 + i}`);
  const answers = await Promise.all(
    Array.from({ length: 10 }, (_, k) =>
      post('/internal/events', { events: ids(k).map((id) => domainEvent(id)) }),
    ),
  );
  for (const a of answers) assert.equal(a.statusCode, 202, a.body);
  const distinct = new Set(Array.from({ length: 10 }, (_, k) => ids(k)).flat());
  const accepted = answers.reduce((n, a) => n + (a.json().accepted as number), 0);
  assert.equal(accepted, distinct.size);
  await t.drained();
  const rows = await sql(
    t.databaseUrl,
    "select event_id, count(*)::int as n from events where event_id like 'race:%' group by 1",
  );
  assert.equal(rows.length, distinct.size);
  assert.ok(rows.every((r) => r.n === 1));
});

test('samples are stored with ids in paths folded into the route template', async () => {
  const res = await post('/internal/samples', {
    samples: [sample(200), sample(503, '/main/v1/posts/3f1c2a4e-1b2c-4d5e-8f90-123456789abc?x=1')],
  });
  assert.equal(res.statusCode, 202, res.body);
  assert.equal(res.json().accepted, 2);
  await t.drained();
  const rows = await sql(
    t.databaseUrl,
    'select route, method, status from samples order by status',
  );
  assert.deepEqual(rows, [
    { route: '/main/v1/posts/:id', method: 'GET', status: 200 },
    { route: '/main/v1/posts/:id', method: 'GET', status: 503 },
  ]);
});

test('invalid internal bodies are 400 with errors', async () => {
  const bad = await post('/internal/samples', { samples: [{ ...sample(), status: 99 }] });
  assert.equal(bad.statusCode, 400);
  assert.ok(bad.json().errors.length > 0);
  const tooMany = await post('/internal/samples', {
    samples: Array.from({ length: 1001 }, () => sample()),
  });
  assert.equal(tooMany.statusCode, 400);
  const noId = await post('/internal/events', { events: [{ ...domainEvent('a:1'), id: '' }] });
  assert.equal(noId.statusCode, 400);
});
