import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTokenIssuer } from '@platform/testing';
import { bearer, buildTestAnalytics, sql } from './helper.ts';

const t = await buildTestAnalytics();
const url = '/analytics/v1/track-event';

const track = (payload: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url, headers, payload: payload as object });

test('a signed-in user tracks an event and reads it back as their activity', async () => {
  const user = await t.user();
  const res = await track(
    { event: 'page.viewed', properties: { path: '/home' } },
    bearer(user.accessToken),
  );
  assert.equal(res.statusCode, 202, res.body);
  assert.equal(res.json().accepted, 1);
  await t.drained();
  const activity = await t.app.inject({
    method: 'GET',
    url: '/analytics/v1/user-activity',
    headers: bearer(user.accessToken),
  });
  assert.equal(activity.statusCode, 200, activity.body);
  const [item] = activity.json().items;
  assert.equal(item.id, res.json().ids[0]);
  assert.equal(item.event, 'page.viewed');
  assert.equal(item.user_id, user.id);
  assert.deepEqual(item.properties, { path: '/home' });
});

test('the user comes from the token, never from the body', async () => {
  const user = await t.user();
  const res = await track(
    { event: 'spoof', user_id: 'someone-else', userId: 'someone-else' },
    bearer(user.accessToken),
  );
  assert.equal(res.statusCode, 202, res.body);
  await t.drained();
  const rows = await sql(t.databaseUrl, 'select user_id from events where event_id = $1', [
    res.json().ids[0],
  ]);
  assert.deepEqual(rows, [{ user_id: user.id }]);
});

test('a batch of 500 is accepted; anonymous events keep their anonymous_id', async () => {
  const events = Array.from({ length: 500 }, (_, i) => ({
    event: 'batch.item',
    anonymous_id: 'anon-1',
    properties: { i },
  }));
  const res = await track({ events });
  assert.equal(res.statusCode, 202, res.body);
  assert.equal(res.json().accepted, 500);
  assert.equal(new Set(res.json().ids).size, 500);
  await t.drained();
  const [row] = await sql(
    t.databaseUrl,
    "select count(*)::int as n, count(distinct anonymous_id)::int as a, count(user_id)::int as u from events where name = 'batch.item'",
  );
  assert.deepEqual(row, { n: 500, a: 1, u: 0 });
  const [one] = await sql(
    t.databaseUrl,
    "select anonymous_id from events where name = 'batch.item' limit 1",
  );
  assert.equal(one.anonymous_id, 'anon-1');
});

test('a timestamp given by the client is kept', async () => {
  const timestamp = new Date(Date.now() - 3600_000).toISOString();
  const res = await track({ event: 'past.event', timestamp, anonymous_id: 'a2' });
  assert.equal(res.statusCode, 202);
  await t.drained();
  const [row] = await sql(t.databaseUrl, 'select occurred_at from events where event_id = $1', [
    res.json().ids[0],
  ]);
  assert.equal(row.occurred_at.toISOString(), timestamp);
});

const invalid: [string, unknown, string][] = [
  ['a name with a bad character', { event: 'bad<name>' }, 'event'],
  ['a name starting with a digit', { event: '1st' }, 'event'],
  ['a name over 100 characters', { event: `a${'b'.repeat(100)}` }, 'event'],
  ['an empty name', { event: '' }, 'event'],
  ['properties over 8 KB', { event: 'big', properties: { x: 'y'.repeat(8200) } }, 'properties'],
  ['properties that are not an object', { event: 'p', properties: [1, 2] }, 'properties'],
  [
    'a timestamp in the future',
    { event: 'f', timestamp: new Date(Date.now() + 86_400_000).toISOString() },
    'timestamp',
  ],
  ['an absurdly old timestamp', { event: 'o', timestamp: '1999-01-01T00:00:00Z' }, 'timestamp'],
  ['a timestamp that is not a date', { event: 'n', timestamp: 'yesterday' }, 'timestamp'],
  ['neither event nor events', { properties: {} }, 'event'],
  ['both event and events', { event: 'a', events: [{ event: 'b' }] }, 'event'],
  ['an empty batch', { events: [] }, 'events'],
  ['a batch over 500', { events: Array.from({ length: 501 }, () => ({ event: 'x' })) }, 'events'],
  [
    'a bad event inside a batch',
    { events: [{ event: 'ok' }, { event: 'no way!' }] },
    'events.1.event',
  ],
  [
    'a future event inside a batch',
    { events: [{ event: 'ok' }, { event: 'ok', timestamp: '2999-01-01T00:00:00Z' }] },
    'events.1.timestamp',
  ],
  ['an anonymous_id with spaces', { event: 'a', anonymous_id: 'has space' }, 'anonymous_id'],
];

for (const [what, payload, field] of invalid) {
  test(`400 with errors for ${what}, and nothing is queued`, async () => {
    const [before] = await sql(
      t.databaseUrl,
      'select (select count(*) from queue) + (select count(*) from events) as n',
    );
    const res = await track(payload);
    assert.equal(res.statusCode, 400, res.body);
    assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
    const fields = (res.json().errors as { field: string }[]).map((e) => e.field);
    assert.ok(fields.includes(field), `${field} not in ${fields.join(', ')}`);
    const [after] = await sql(
      t.databaseUrl,
      'select (select count(*) from queue) + (select count(*) from events) as n',
    );
    assert.equal(after.n, before.n);
  });
}

test('a bad access token is refused with 401 even though tracking is open to anyone', async () => {
  const res = await track({ event: 'x' }, bearer('not-a-token'));
  assert.equal(res.statusCode, 401);
});

test('a token of a revoked session, or signed by another key, is refused with 401', async () => {
  const user = await t.user();
  assert.equal((await track({ event: 'x' }, bearer(user.accessToken))).statusCode, 202);
  t.issuer.revoke(user.sessionId);
  // The revocation feed is polled every 250 ms; a loaded machine gets ten seconds.
  const deadline = Date.now() + 10_000;
  while ((await track({ event: 'x' }, bearer(user.accessToken))).statusCode !== 401) {
    assert.ok(Date.now() < deadline, 'the revoked token was still accepted');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const forged = await (await startTokenIssuer()).token({ userId: user.id });
  assert.equal((await track({ event: 'x' }, bearer(forged.accessToken))).statusCode, 401);
});

test('a request-limit of invalid events is described from its first items, not all of them', async () => {
  // 240 KB of `0` items, anonymous: ajv checked every one (120 000 errors, ~2 s of the event
  // loop, and the gateway's health poll then found analytics not ready).
  const n = Math.floor((240 * 1024) / 2);
  const res = await t.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json' },
    payload: `{"events":[${Array(n).fill('0').join(',')}]}`,
  });
  assert.equal(res.statusCode, 400, res.body.slice(0, 300));
  const { errors, detail } = res.json();
  assert.deepEqual(errors[0], { field: 'events', message: 'must NOT have more than 500 items' });
  assert.equal(errors[1].field, 'events.0');
  // The 501 items kept describe themselves; the other 122 379 are never looked at.
  assert.match(detail, /The first 100 of 502 errors are listed/);
});

test('malformed JSON is a 400 problem, not a 500', async () => {
  const res = await t.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json' },
    payload: '{"event": ',
  });
  assert.equal(res.statusCode, 400);
});

test("a signed-in user sending another visitor's anonymous_id neither links it nor reads its history", async () => {
  // Stitching is for trusted senders (write keys); through /track-event a caller must not claim
  // someone's anonymous id, by sending it or by naming an event identify or alias.
  const victim = await t.user();
  const attacker = await t.user();
  const anon = `anon-victim-${victim.id}`;
  assert.equal((await track({ event: 'visited.pricing', anonymous_id: anon })).statusCode, 202);
  for (const event of ['identify', 'alias', 'claimed']) {
    const res = await track({ event, anonymous_id: anon }, bearer(attacker.accessToken));
    assert.equal(res.statusCode, 202, res.body);
  }
  await t.drained();
  const links = await sql(
    t.databaseUrl,
    'select user_id from identity_links where anonymous_id = $1',
    [anon],
  );
  assert.deepEqual(links, []);
  const activity = await t.app.inject({
    method: 'GET',
    url: '/analytics/v1/user-activity',
    headers: bearer(attacker.accessToken),
  });
  const events = activity.json().items.map((e: { event: string; user_id: string }) => e.event);
  assert.ok(!events.includes('visited.pricing'), events.join(', '));
  assert.equal(events.length, 3);
});

test('a malformed field is described in words, never by its regular expression', async () => {
  const res = await track({ event: 'a\\b', anonymous_id: 'has space' });
  assert.equal(res.statusCode, 400, res.body);
  assert.deepEqual(res.json().errors, [
    {
      field: 'event',
      message: 'must be a letter, then up to 99 letters, digits, spaces or _ . : / -',
    },
    { field: 'anonymous_id', message: 'must be letters, digits, _ . : @ or - (no spaces)' },
  ]);
  const query = await t.app.inject({
    method: 'GET',
    url: '/analytics/v1/performance?interval=5x',
    headers: bearer(t.adminToken),
  });
  assert.equal(query.statusCode, 400, query.body);
  assert.doesNotMatch(query.body, /must match/);
  assert.match(query.json().errors[0].message, /^must be a bucket size from 1m to 1d/);
});
