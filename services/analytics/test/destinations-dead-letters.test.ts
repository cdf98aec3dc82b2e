import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readConfig } from '../src/config.ts';
import { parseDestinations } from '../src/destinations/config.ts';
import { createDestinations } from '../src/destinations/index.ts';
import { startReceiver, until } from './destinations-receiver.ts';
import { bearer, buildTestAnalytics, SERVICE_TOKEN, sql } from './helper.ts';

const SECRET = 'whsec-test-0123456789abcdef';
let receiverUp = false;
const receiver = await startReceiver(() => (receiverUp ? 204 : 500));

const t = await buildTestAnalytics({
  DESTINATIONS: JSON.stringify([{ name: 'crm', url: receiver.url('/hook'), secret: SECRET }]),
  DESTINATION_MAX_ATTEMPTS: '3',
  DESTINATION_RETRY_BASE_MS: '20',
  DESTINATION_INTERVAL_MS: '20',
});
const user = await t.user();
const DEAD = '/analytics/v1/destinations/dead-letters';

async function deadLetters(query = '') {
  const res = await t.app.inject({ url: `${DEAD}${query}`, headers: bearer(t.adminToken) });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as { items: Record<string, unknown>[]; next_cursor: string | null };
}

async function track(event: string) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/analytics/v1/track-event',
    headers: bearer(user.accessToken),
    payload: { event },
  });
  assert.equal(res.statusCode, 202, res.body);
}

test('after the last try a delivery is a dead letter an admin can list, and replay delivers it', async () => {
  await track('invoice.sent');
  const page = await until(async () => {
    const p = await deadLetters();
    return p.items.length === 1 && p;
  }, 'the dead letter');
  const [dead] = page.items;
  assert.equal(dead!.destination, 'crm');
  assert.equal(dead!.event, 'invoice.sent');
  assert.equal(dead!.attempts, 3);
  assert.equal(dead!.last_error, 'HTTP 500');
  assert.equal((dead!.payload as { type: string }).type, 'track');
  assert.equal(receiver.at('/hook').length, 3, 'three tries, then no more');

  const listed = await t.app.inject({
    url: '/analytics/v1/destinations',
    headers: bearer(t.adminToken),
  });
  assert.equal(listed.statusCode, 200, listed.body);
  assert.deepEqual(listed.json().items, [
    { name: 'crm', url: receiver.url('/hook'), events: null, pending: 0, dead: 1 },
  ]);
  assert.doesNotMatch(listed.body, new RegExp(SECRET), 'the secret is never shown');

  receiverUp = true;
  const replay = await t.app.inject({
    method: 'POST',
    url: `${DEAD}/${dead!.id}/replay`,
    headers: bearer(t.adminToken),
  });
  assert.equal(replay.statusCode, 202, replay.body);
  assert.deepEqual(replay.json(), { replayed: 1 });
  const ok = await until(
    () => receiver.at('/hook').find((r) => r.status === 204),
    'the replayed delivery',
  );
  assert.equal(ok.body.messageId, dead!.event_id);
  assert.equal(ok.headers['x-delivery-attempt'], '1', 'a replay starts a fresh set of tries');
  await until(
    async () => (await sql(t.databaseUrl, 'select 1 from destination_deliveries')).length === 0,
    'the row to go',
  );
  assert.deepEqual((await deadLetters()).items, []);

  const again = await t.app.inject({
    method: 'POST',
    url: `${DEAD}/${dead!.id}/replay`,
    headers: bearer(t.adminToken),
  });
  assert.equal(again.statusCode, 404, 'a delivered letter is no longer dead');
  receiverUp = false;
});

test('dead letters page newest first, and a bulk replay sends every one again', async () => {
  for (const event of ['a.one', 'a.two', 'a.three']) await track(event);
  await until(async () => (await deadLetters()).items.length === 3, 'three dead letters');
  const first = await deadLetters('?limit=2');
  assert.deepEqual(
    first.items.map((i) => i.event),
    ['a.three', 'a.two'],
  );
  const second = await deadLetters(`?limit=2&cursor=${first.next_cursor}`);
  assert.deepEqual(
    second.items.map((i) => i.event),
    ['a.one'],
  );
  assert.equal(second.next_cursor, null);

  receiverUp = true;
  const replay = await t.app.inject({
    method: 'POST',
    url: `${DEAD}/replay?destination=crm`,
    headers: bearer(t.adminToken),
  });
  assert.equal(replay.statusCode, 202, replay.body);
  assert.deepEqual(replay.json(), { replayed: 3 });
  await until(
    () => receiver.at('/hook').filter((r) => r.status === 204).length === 4,
    'three more deliveries',
  );
  receiverUp = false;
});

test('a dead letter of a destination no longer configured is kept but cannot be replayed', async () => {
  const [row] = await sql(
    t.databaseUrl,
    `insert into destination_deliveries (destination, event_id, event, payload, status, attempts)
     values ('gone', 'x:1', 'old.event', '{}', 'dead', 5) returning id`,
  );
  const res = await t.app.inject({
    method: 'POST',
    url: `${DEAD}/${row.id}/replay`,
    headers: bearer(t.adminToken),
  });
  assert.equal(res.statusCode, 409, res.body);
  assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  const missing = await t.app.inject({
    method: 'POST',
    url: `${DEAD}/999999/replay`,
    headers: bearer(t.adminToken),
  });
  assert.equal(missing.statusCode, 404);
  const unknown = await t.app.inject({
    method: 'POST',
    url: `${DEAD}/replay?destination=nope`,
    headers: bearer(t.adminToken),
  });
  assert.equal(unknown.statusCode, 404);
});

test('dead letters are kept no longer than the events themselves (RETENTION_DAYS)', async () => {
  const insert = (id: string, daysAgo: number) =>
    sql(
      t.databaseUrl,
      `insert into destination_deliveries (destination, event_id, event, payload, status, updated_at)
       values ('crm', $1, 'old.event', '{}', 'dead', now() - make_interval(days => $2))`,
      [id, daysAgo],
    );
  await insert('x:old', t.config.RETENTION_DAYS + 1);
  await insert('x:recent', t.config.RETENTION_DAYS - 1);
  await createDestinations({ config: t.config, db: t.database.db, log: t.app.log }).prune(
    new Date(Date.now() - t.config.RETENTION_DAYS * 86_400_000),
  );
  const ids = (await deadLetters()).items.map((i) => i.event_id);
  assert.ok(ids.includes('x:recent'));
  assert.ok(!ids.includes('x:old'));
});

test('only analytics admins see or replay dead letters', async () => {
  const calls = [
    { method: 'GET' as const, url: DEAD },
    { method: 'GET' as const, url: '/analytics/v1/destinations' },
    { method: 'POST' as const, url: `${DEAD}/1/replay` },
    { method: 'POST' as const, url: `${DEAD}/replay` },
  ];
  for (const call of calls) {
    const anonymous = await t.app.inject(call);
    assert.equal(anonymous.statusCode, 401, `${call.method} ${call.url} anonymous`);
    const member = await t.app.inject({ ...call, headers: bearer(user.accessToken) });
    assert.equal(member.statusCode, 403, `${call.method} ${call.url} as a user`);
  }
});

test('reading analytics does not allow replaying: that takes analytics:manage', async () => {
  // A role of an operator's own making, granting reading only (auth keeps roles as data).
  const { accessToken } = await t.issuer.token({
    roles: ['user', 'analyst'],
    permissions: ['analytics:read'],
  });
  const list = await t.app.inject({ url: DEAD, headers: bearer(accessToken) });
  assert.equal(list.statusCode, 200, list.body);
  for (const url of [`${DEAD}/1/replay`, `${DEAD}/replay`]) {
    const replay = await t.app.inject({ method: 'POST', url, headers: bearer(accessToken) });
    assert.equal(replay.statusCode, 403, url);
  }
});

test('a malformed DESTINATIONS stops the service with one line that shows no secret', async () => {
  const base = { DATABASE_URL: 'postgres://x/y', SERVICE_TOKEN };
  const bad = [
    ['not json', /not valid JSON/],
    ['{"name":"x"}', /the list/],
    [
      JSON.stringify([{ name: 'x', url: 'ftp://h', secret: 'a-long-enough-secret' }]),
      /entry 0 field url/,
    ],
    [JSON.stringify([{ name: 'x', url: 'http://h' }]), /entry 0 field secret is missing/],
    [JSON.stringify([{ name: 'x', url: 'http://h', secret: 'short' }]), /entry 0 field secret/],
    [
      JSON.stringify([
        { name: 'x', url: 'http://h', secret: 'a-long-enough-secret' },
        { name: 'x', url: 'http://i', secret: 'a-long-enough-secret' },
      ]),
      /entry 1 repeats the name x/,
    ],
  ] as const;
  for (const [value, reason] of bad) {
    const config = readConfig({ ...base, DESTINATIONS: value });
    assert.throws(
      () => parseDestinations(config.DESTINATIONS),
      (error: Error) =>
        error.name === 'ConfigError' &&
        reason.test(error.message) &&
        !error.message.includes('a-long-enough-secret') &&
        !error.message.includes('\n'),
    );
  }
  const [one] = parseDestinations(
    JSON.stringify([
      {
        name: 'x',
        url: 'http://h/p',
        secret: 'a-long-enough-secret',
        events: ['user.*', 'post.created'],
      },
    ]),
  );
  assert.ok(one!.matches('user.logged_in') && one!.matches('post.created'));
  assert.ok(!one!.matches('post.updated') && !one!.matches('xuser.a'));
});
