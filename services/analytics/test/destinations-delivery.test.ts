import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { verifySignature } from '../src/destinations/signature.ts';
import { startReceiver, until } from './destinations-receiver.ts';
import { bearer, buildTestAnalytics, serviceHeaders, sql } from './helper.ts';

const SECRET = 'whsec-test-0123456789abcdef';

// /flaky fails the first two tries of every event, /strict refuses every body as malformed.
const receiver = await startReceiver((path, seenBefore) => {
  if (path === '/flaky') return seenBefore < 2 ? 503 : 200;
  if (path === '/strict') return 400;
  return 200;
});

const t = await buildTestAnalytics({
  DESTINATIONS: JSON.stringify([
    { name: 'flaky', url: receiver.url('/flaky'), secret: SECRET },
    { name: 'users-only', url: receiver.url('/users'), secret: SECRET, events: ['user.*'] },
    { name: 'strict', url: receiver.url('/strict'), secret: SECRET, events: ['order.*'] },
  ]),
  DESTINATION_RETRY_BASE_MS: '20',
  DESTINATION_INTERVAL_MS: '20',
});
const user = await t.user();

const pendingRows = async () =>
  Number((await sql(t.databaseUrl, `select count(*) from destination_deliveries`))[0].count);

test('a destination that fails twice then succeeds receives each event exactly once', async () => {
  const res = await t.app.inject({
    method: 'POST',
    url: '/analytics/v1/track-event',
    headers: bearer(user.accessToken),
    payload: {
      events: [
        { event: 'page.viewed', properties: { path: '/a' } },
        { event: 'page.viewed', properties: { path: '/b' } },
        { event: 'button.clicked', properties: { id: 'buy' } },
      ],
    },
  });
  assert.equal(res.statusCode, 202, res.body);
  const delivered = () => receiver.at('/flaky').filter((r) => r.status === 200);
  await until(() => delivered().length === 3, 'three deliveries');
  // Nothing else arrives once every row is settled (delivered rows are deleted).
  await until(async () => (await pendingRows()) === 0, 'the deliveries table to empty');
  await sleep(300);
  const ids = delivered().map((r) => r.body.messageId);
  assert.equal(new Set(ids).size, 3, 'each event delivered once');
  assert.equal(delivered().length, 3);
  assert.equal(receiver.at('/flaky').length, 9, 'two refused tries and one success per event');
  const attempts = receiver.at('/flaky').map((r) => r.headers['x-delivery-attempt']);
  assert.deepEqual([...new Set(attempts)].sort(), ['1', '2', '3']);

  const metrics = (await t.app.inject({ url: '/metrics' })).body;
  assert.match(
    metrics,
    /analytics_destination_deliveries_total\{[^}]*destination="flaky",outcome="retry"[^}]*\} 6\n/,
  );
  assert.match(
    metrics,
    /analytics_destination_deliveries_total\{[^}]*destination="flaky",outcome="delivered"[^}]*\} 3\n/,
  );

  const buy = delivered().find((r) => r.body.event === 'button.clicked')!;
  assert.equal(buy.body.type, 'track');
  assert.equal(buy.body.userId, user.id);
  assert.deepEqual(buy.body.properties, { id: 'buy' });
  assert.match(String(buy.body.timestamp), /^\d{4}-\d\d-\d\dT.*Z$/);
  assert.match(String(buy.body.messageId), /./);
  assert.match(String(buy.body.sentAt), /Z$/);
});

test('every delivery is signed: HMAC-SHA256 over timestamp and raw body verifies', async () => {
  const first = await until(() => receiver.at('/flaky')[0], 'a delivery');
  assert.match(String(first.headers['x-signature']), /^sha256=[0-9a-f]{64}$/);
  assert.ok(verifySignature(SECRET, first.headers, first.raw), 'the signature verifies');
  assert.equal(verifySignature('another-secret-of-some-length', first.headers, first.raw), false);
  assert.equal(verifySignature(SECRET, first.headers, first.raw.replace('track', 'TRACK')), false);
  // A captured delivery replayed later fails the freshness check.
  const later = Date.now() + 10 * 60_000;
  assert.equal(verifySignature(SECRET, first.headers, first.raw, { now: later }), false);
  const stamp = Number(first.headers['x-signature-timestamp']) + 1;
  const moved = { ...first.headers, 'x-signature-timestamp': String(stamp) };
  assert.equal(verifySignature(SECRET, moved, first.raw), false, 'the timestamp is signed');
});

test('a destination gets only the events its patterns name, domain events included', async () => {
  const res = await t.app.inject({
    method: 'POST',
    url: '/internal/events',
    headers: serviceHeaders,
    payload: {
      events: [
        {
          id: 'auth:9001',
          type: 'user.registered',
          occurred_at: new Date().toISOString(),
          user_id: user.id,
          payload: { method: 'password' },
        },
        {
          id: 'main:9002',
          type: 'post.created',
          occurred_at: new Date().toISOString(),
          payload: {},
        },
      ],
    },
  });
  assert.equal(res.statusCode, 202, res.body);
  const got = await until(() => receiver.at('/users')[0], 'the user.registered delivery');
  assert.equal(got.body.event, 'user.registered');
  assert.equal(got.body.messageId, 'auth:9001');
  assert.equal(got.body.userId, user.id);
  await until(async () => (await pendingRows()) === 0, 'every delivery to settle');
  assert.deepEqual(
    receiver.at('/users').map((r) => r.body.event),
    ['user.registered'],
    'page views and post events are not sent to a user.* destination',
  );
});

test('a receiver that refuses the body itself (4xx) dead-letters it at once, untried again', async () => {
  const res = await t.app.inject({
    method: 'POST',
    url: '/analytics/v1/track-event',
    headers: bearer(user.accessToken),
    payload: { event: 'order.placed', properties: { total: 12 } },
  });
  assert.equal(res.statusCode, 202, res.body);
  const page = await until(async () => {
    const list = await t.app.inject({
      url: '/analytics/v1/destinations/dead-letters?destination=strict',
      headers: bearer(t.adminToken),
    });
    return list.json().items.length > 0 && list.json();
  }, 'a dead letter');
  assert.equal(page.items[0].attempts, 1);
  assert.equal(page.items[0].last_error, 'HTTP 400');
  assert.equal(receiver.at('/strict').length, 1);
});
