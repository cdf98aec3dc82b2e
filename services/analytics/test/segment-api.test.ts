import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { bearer, buildTestAnalytics, sql, userDeleted } from './helper.ts';

const t = await buildTestAnalytics();
const base = '/analytics/v1';

async function newKey(name = 'backend') {
  const res = await t.app.inject({
    method: 'POST',
    url: `${base}/write-keys`,
    headers: bearer(t.adminToken),
    payload: { name },
  });
  assert.equal(res.statusCode, 201, res.body);
  return res.json() as { id: string; name: string; key: string };
}

const basic = (key: string) => ({
  authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`,
});
const send = (path: string, key: string, payload: unknown) =>
  t.app.inject({
    method: 'POST',
    url: `${base}${path}`,
    headers: basic(key),
    payload: payload as object,
  });

test('admins issue, list and revoke write keys; the key is shown once and stored hashed', async () => {
  const user = await t.user();
  const denied = await t.app.inject({
    method: 'POST',
    url: `${base}/write-keys`,
    headers: bearer(user.accessToken),
    payload: { name: 'x' },
  });
  assert.equal(denied.statusCode, 403);
  const key = await newKey('billing');
  assert.equal(key.name, 'billing');
  assert.match(key.key, /^wk_[\w-]{43}$/);
  const list = await t.app.inject({ url: `${base}/write-keys`, headers: bearer(t.adminToken) });
  const listed = list.json().items.find((k: { id: string }) => k.id === key.id);
  assert.ok(listed);
  assert.equal(listed.key, undefined);
  const stored = await sql(t.databaseUrl, 'select key_hash from write_keys where id = $1', [
    key.id,
  ]);
  assert.notEqual(stored[0].key_hash, key.key);
  assert.ok(!JSON.stringify(stored).includes(key.key));

  assert.equal((await send('/track', key.key, { userId: 'u1', event: 'Ping' })).statusCode, 200);
  const revoked = await t.app.inject({
    method: 'DELETE',
    url: `${base}/write-keys/${key.id}`,
    headers: bearer(t.adminToken),
  });
  assert.equal(revoked.statusCode, 204);
  const refused = await send('/track', key.key, { userId: 'u1', event: 'Ping' });
  assert.equal(refused.statusCode, 401);
  assert.equal(refused.json().code, 'invalid_write_key');
  assert.equal(
    (await send('/track', 'wk_unknown', { userId: 'u1', event: 'Ping' })).statusCode,
    401,
  );
  const none = await t.app.inject({
    method: 'POST',
    url: `${base}/track`,
    payload: { userId: 'u', event: 'P' },
  });
  assert.equal(none.statusCode, 401);
  const again = await t.app.inject({
    method: 'DELETE',
    url: `${base}/write-keys/${key.id}`,
    headers: bearer(t.adminToken),
  });
  assert.equal(again.statusCode, 404);
});

test('an issued write key says where it lives: Location, the absolute path its GET answers at', async () => {
  // Was a 201 without Location. The GET answers without the key itself (shown once only).
  const created = await t.app.inject({
    method: 'POST',
    url: `${base}/write-keys`,
    headers: bearer(t.adminToken),
    payload: { name: 'located' },
  });
  assert.equal(created.statusCode, 201, created.body);
  const { key, ...rest } = created.json();
  assert.equal(created.headers.location, `${base}/write-keys/${rest.id}`);
  const read = await t.app.inject({
    url: String(created.headers.location),
    headers: bearer(t.adminToken),
  });
  assert.equal(read.statusCode, 200, read.body);
  assert.deepEqual(read.json(), rest);
  assert.ok(key);
});

test('a write key needs a readable name: empty, blank or control characters are 400', async () => {
  for (const name of ['', '   ', '\u00a0\u3000', 'tab\there']) {
    const res = await t.app.inject({
      method: 'POST',
      url: `${base}/write-keys`,
      headers: bearer(t.adminToken),
      payload: { name },
    });
    assert.equal(res.statusCode, 400, JSON.stringify(name));
    assert.equal(res.json().errors[0].field, 'name');
  }
  assert.equal((await newKey(' spaced name ')).name, ' spaced name ');
});

test('each Segment call answers {success: true} and lands as an event with its shape', async () => {
  const { key } = await newKey();
  const userId = `seg-${Date.now()}`;
  const calls: [string, object][] = [
    [
      '/track',
      {
        userId,
        event: 'Order Completed (v2)',
        properties: { total: 12.5 },
        messageId: `${userId}-t`,
      },
    ],
    [
      '/page',
      {
        userId,
        name: 'Home',
        category: 'Docs',
        properties: { path: '/' },
        messageId: `${userId}-p`,
      },
    ],
    ['/screen', { userId, name: 'Settings', messageId: `${userId}-s` }],
    ['/group', { userId, groupId: 'acme', traits: { plan: 'pro' }, messageId: `${userId}-g` }],
    ['/identify', { userId, traits: { email: 'a@example.com' }, messageId: `${userId}-i` }],
  ];
  for (const [path, body] of calls) {
    const res = await send(path, key, body);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { success: true });
  }
  await t.drained();
  const rows = await sql(
    t.databaseUrl,
    'select event_id, name, source, properties from events where user_id = $1 order by event_id',
    [userId],
  );
  assert.deepEqual(
    rows.map((r) => [r.event_id, r.name, r.properties]),
    [
      [`${userId}-g`, 'group', { plan: 'pro', group_id: 'acme' }],
      [`${userId}-i`, 'identify', { email: 'a@example.com' }],
      [`${userId}-p`, 'page', { path: '/', name: 'Home', category: 'Docs' }],
      [`${userId}-s`, 'screen', { name: 'Settings' }],
      [`${userId}-t`, 'Order Completed (v2)', { total: 12.5 }],
    ],
  );
  assert.ok(rows.every((r) => r.source === 'segment'));
});

test('invalid messages are 400 with the field; reserved names too; oversized ones 413', async () => {
  const { key } = await newKey();
  const cases: [string, object, string][] = [
    ['/track', { event: 'x' }, 'userId'],
    ['/track', { userId: 'u' }, 'event'],
    ['/track', { userId: 'u', event: 'user.deleted' }, 'event'],
    ['/alias', { userId: 'u' }, 'previousId'],
    ['/group', { userId: 'u' }, 'groupId'],
    ['/track', { userId: 'u', event: 'x', timestamp: 'yesterday' }, 'timestamp'],
    ['/batch', { batch: [{ userId: 'u', event: 'x' }] }, 'batch.0.type'],
    ['/batch', { batch: [{ type: 'track', userId: 'u', event: 'Post.Created' }] }, 'batch.0.event'],
    ['/batch', { batch: [{ type: 'track', userId: 'u\u0000', event: 'x' }] }, 'batch.0.userId'],
  ];
  for (const [path, body, field] of cases) {
    const res = await send(path, key, body);
    assert.equal(res.statusCode, 400, `${path} ${JSON.stringify(body)}: ${res.body}`);
    assert.ok(
      res.json().errors.some((e: { field: string }) => e.field.includes(field)),
      `${field}: ${res.body}`,
    );
  }
  const surrogate = await t.app.inject({
    method: 'POST',
    url: `${base}/track`,
    headers: { ...basic(key), 'content-type': 'application/json' },
    payload: '{"userId":"u","event":"x","properties":{"a":"\\ud800"}}',
  });
  assert.equal(surrogate.statusCode, 400, surrogate.body);
  const huge = await t.app.inject({
    method: 'POST',
    url: `${base}/track`,
    headers: { ...basic(key), 'content-type': 'application/json' },
    payload: '{"userId":"u","event":"x","properties":{"n":1e400}}',
  });
  assert.equal(huge.statusCode, 400, huge.body);

  const big = { type: 'track', userId: 'u', event: 'x', properties: { s: 'a'.repeat(33_000) } };
  const oneLarge = await send('/batch', key, { batch: [big] });
  assert.equal(oneLarge.statusCode, 413, oneLarge.body);
  assert.equal(oneLarge.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal(oneLarge.json().errors[0].field, 'batch.0');
  assert.equal((await send('/track', key, big)).statusCode, 413);
  const batch = Array.from({ length: 20 }, () => ({
    ...big,
    properties: { s: 'a'.repeat(30_000) },
  }));
  const tooMuch = await send('/batch', key, { batch });
  assert.equal(tooMuch.statusCode, 413, tooMuch.body);
  assert.equal(tooMuch.json().status, 413);
});

test('a messageId seen again is stored once: in one batch, a batch sent twice, a retried call', async () => {
  const { key } = await newKey();
  const userId = `dedup-${Date.now()}`;
  const batch = [
    { type: 'track', userId, event: 'Clicked', messageId: `${userId}-1` },
    { type: 'track', userId, event: 'Clicked', messageId: `${userId}-1` },
    { type: 'track', userId, event: 'Clicked', messageId: `${userId}-2` },
  ];
  assert.equal((await send('/batch', key, { batch })).statusCode, 200);
  assert.equal((await send('/batch', key, { batch })).statusCode, 200);
  const other = await newKey('rotated');
  assert.equal((await send('/track', other.key, batch[2])).statusCode, 200);
  await t.drained();
  const rows = await sql(
    t.databaseUrl,
    'select event_id from events where user_id = $1 order by 1',
    [userId],
  );
  assert.deepEqual(
    rows.map((r) => r.event_id),
    [`${userId}-1`, `${userId}-2`],
  );
});

test('identify and alias link anonymous ids: activity and the profile include them', async () => {
  const { key } = await newKey();
  const userId = `stitch-${Date.now()}`;
  const [anonA, anonB, anonC] = ['a', 'b', 'c'].map((x) => `${userId}-anon-${x}`);
  const at = (minutes: number) => new Date(Date.now() - (60 - minutes) * 60_000).toISOString();
  const batch = [
    {
      type: 'page',
      anonymousId: anonA,
      name: 'Pricing',
      timestamp: at(1),
      messageId: `${userId}-1`,
    },
    {
      type: 'track',
      anonymousId: anonB,
      event: 'Viewed Docs',
      timestamp: at(2),
      messageId: `${userId}-2`,
    },
    {
      type: 'track',
      anonymousId: anonC,
      event: 'Not linked',
      timestamp: at(3),
      messageId: `${userId}-3`,
    },
    {
      type: 'identify',
      userId,
      anonymousId: anonA,
      traits: { plan: 'pro', name: 'Ada' },
      timestamp: at(10),
      messageId: `${userId}-4`,
    },
    { type: 'alias', userId, previousId: anonB, timestamp: at(11), messageId: `${userId}-5` },
    // Older than the identify above: fills gaps, overwrites nothing.
    {
      type: 'identify',
      userId,
      traits: { plan: 'free', company: 'ACME' },
      timestamp: at(5),
      messageId: `${userId}-6`,
    },
    { type: 'track', userId, event: 'Signed In', timestamp: at(12), messageId: `${userId}-7` },
  ];
  assert.equal((await send('/batch', key, { batch })).statusCode, 200);
  // Replayed: links and traits are recorded once.
  assert.equal((await send('/batch', key, { batch })).statusCode, 200);
  // Another user cannot take over an anonymous id already linked.
  await send('/alias', key, {
    userId: 'someone-else',
    previousId: anonA,
    messageId: `${userId}-8`,
  });
  await t.drained();

  const activity = await t.app.inject({
    url: `${base}/user-activity?user_id=${userId}`,
    headers: bearer(t.adminToken),
  });
  assert.equal(activity.statusCode, 200, activity.body);
  assert.deepEqual(
    activity.json().items.map((e: { event: string }) => e.event),
    ['Signed In', 'alias', 'identify', 'identify', 'Viewed Docs', 'page'],
  );

  const profile = await t.app.inject({
    url: `${base}/profiles/${userId}`,
    headers: bearer(t.adminToken),
  });
  assert.equal(profile.statusCode, 200, profile.body);
  assert.deepEqual(profile.json(), {
    user_id: userId,
    traits: { plan: 'pro', name: 'Ada', company: 'ACME' },
    anonymous_ids: [anonA, anonB].sort(),
    // The linked ids' events are the user's: the page under anonA came first.
    first_seen: batch[0]!.timestamp,
    last_seen: batch[6]!.timestamp,
  });
  const links = await sql(
    t.databaseUrl,
    'select via, message_id from identity_links where user_id = $1 order by 2',
    [userId],
  );
  assert.deepEqual(links, [
    { via: 'identify', message_id: `${userId}-4` },
    { via: 'alias', message_id: `${userId}-5` },
  ]);
  const user = await t.user();
  const forbidden = await t.app.inject({
    url: `${base}/profiles/${userId}`,
    headers: bearer(user.accessToken),
  });
  assert.equal(forbidden.statusCode, 403);
  const missing = await t.app.inject({
    url: `${base}/profiles/nobody`,
    headers: bearer(t.adminToken),
  });
  assert.equal(missing.statusCode, 404);
});

test('a profile spans the events of its linked anonymous ids, also those sent after the link', async () => {
  const { key } = await newKey();
  const userId = `seen-${Date.now()}`;
  const anon = `${userId}-anon`;
  const at = (minutes: number) => new Date(Date.now() - (60 - minutes) * 60_000).toISOString();
  const batch = [
    { type: 'track', anonymousId: anon, event: 'Browsed', timestamp: at(1) },
    { type: 'identify', userId, anonymousId: anon, traits: { plan: 'pro' }, timestamp: at(10) },
    { type: 'track', userId, event: 'Bought', timestamp: at(20) },
    // The browser keeps sending under its anonymous id.
    { type: 'track', anonymousId: anon, event: 'Browsed', timestamp: at(30) },
  ];
  assert.equal((await send('/batch', key, { batch })).statusCode, 200);
  await t.drained();
  const profile = await t.app.inject({
    url: `${base}/profiles/${userId}`,
    headers: bearer(t.adminToken),
  });
  assert.equal(profile.statusCode, 200, profile.body);
  assert.equal(profile.json().first_seen, batch[0]!.timestamp);
  assert.equal(profile.json().last_seen, batch[3]!.timestamp);
});

test('a user analytics knows only from their events has a profile (no traits, no links)', async () => {
  const user = await t.user();
  const first = new Date(Date.now() - 3600_000).toISOString();
  const res = await t.app.inject({
    method: 'POST',
    url: `${base}/track-event`,
    headers: bearer(user.accessToken),
    payload: { events: [{ event: 'Opened', timestamp: first }, { event: 'Closed' }] },
  });
  assert.equal(res.statusCode, 202, res.body);
  await t.drained();
  const profile = await t.app.inject({
    url: `${base}/profiles/${user.id}`,
    headers: bearer(t.adminToken),
  });
  assert.equal(profile.statusCode, 200, profile.body);
  const body = profile.json();
  assert.deepEqual(
    { ...body, last_seen: undefined },
    {
      user_id: user.id,
      traits: {},
      anonymous_ids: [],
      first_seen: first,
      last_seen: undefined,
    },
  );
  assert.ok(Date.parse(body.last_seen) > Date.parse(first));
});

test('track-event items may carry message_id: a retry is accepted and stored once', async () => {
  const user = await t.user();
  const track = (payload: object) =>
    t.app.inject({
      method: 'POST',
      url: `${base}/track-event`,
      headers: bearer(user.accessToken),
      payload,
    });
  const events = [
    { event: 'Retried', message_id: 'm-1' },
    { event: 'Retried', message_id: 'm-1' },
    { event: 'Retried', message_id: 'm-2' },
    { event: 'No id' },
  ];
  const first = await track({ events });
  assert.equal(first.statusCode, 202, first.body);
  assert.equal(first.json().accepted, 3);
  assert.equal(first.json().duplicates, 1);
  await t.drained();
  // The retry is queued (ids are claimed by the writer, in batches) and dropped before the store.
  const retry = await track({ events });
  assert.equal(retry.statusCode, 202, retry.body);
  assert.equal(retry.json().duplicates, 1);
  // Another user's message ids are their own.
  const other = await t.user();
  const theirs = await t.app.inject({
    method: 'POST',
    url: `${base}/track-event`,
    headers: bearer(other.accessToken),
    payload: { event: 'Retried', message_id: 'm-1' },
  });
  assert.equal(theirs.json().accepted, 1);
  await t.drained();
  const rows = await sql(t.databaseUrl, 'select name from events where user_id = $1 order by 1', [
    user.id,
  ]);
  assert.deepEqual(
    rows.map((r) => r.name),
    ['No id', 'No id', 'Retried', 'Retried'],
  );
});

test('a user.deleted domain event removes their profile and links', async () => {
  const { key } = await newKey();
  // Auth's ids are UUIDs; the user's events are unlinked from it a moment later.
  const userId = randomUUID();
  await send('/identify', key, { userId, anonymousId: `${userId}-anon`, traits: { a: 1 } });
  const res = await userDeleted(t, userId);
  assert.equal(res.statusCode, 202, res.body);
  const profile = await t.app.inject({
    url: `${base}/profiles/${userId}`,
    headers: bearer(t.adminToken),
  });
  assert.equal(profile.statusCode, 404);
  assert.deepEqual(
    await sql(t.databaseUrl, 'select 1 from identity_links where user_id = $1', [userId]),
    [],
  );
});

// Segment takes historical timestamps, and a client library answered 400 drops its whole batch:
// a batch with one message past retention (Segment's own docs example is dated 2012) or one
// from a clock ahead of ours was refused whole, the good messages with it.
test('a message dated past retention is acknowledged and left out, one dated ahead is kept at its arrival; neither fails its batch', async () => {
  const { key } = await newKey();
  const userId = `when-${Date.now()}`;
  const before = Date.now();
  const res = await send('/batch', key, {
    batch: [
      {
        type: 'track',
        userId,
        event: 'Old',
        timestamp: '2012-12-02T00:30:12.984Z',
        messageId: `${userId}-1`,
      },
      {
        type: 'track',
        userId,
        event: 'Ahead',
        timestamp: '2999-01-01T00:00:00Z',
        messageId: `${userId}-2`,
      },
      { type: 'track', userId, event: 'Now', messageId: `${userId}-3` },
    ],
  });
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(res.json(), { success: true });
  const single = await send('/track', key, {
    userId,
    event: 'Old',
    timestamp: '2012-12-02T00:30:12.984Z',
    messageId: `${userId}-4`,
  });
  assert.equal(single.statusCode, 200, single.body);
  await t.drained();
  const rows = await sql(
    t.databaseUrl,
    'select name, occurred_at from events where user_id = $1 order by name',
    [userId],
  );
  assert.deepEqual(
    rows.map((r) => r.name),
    ['Ahead', 'Now'],
  );
  const ahead = new Date(rows[0].occurred_at).getTime();
  assert.ok(ahead >= before - 1000 && ahead <= Date.now() + 1000, String(rows[0].occurred_at));
});

test('an event name with a comma is kept like any other, not a 400 that would drop the whole batch', async () => {
  const { key } = await newKey();
  const userId = `comma-${Date.now()}`;
  const res = await send('/batch', key, {
    batch: [
      { type: 'track', userId, event: 'Signed Up, Pro', messageId: `${userId}-1` },
      { type: 'track', userId, event: 'Checkout', messageId: `${userId}-2` },
    ],
  });
  assert.equal(res.statusCode, 200, res.body);
  await t.drained();
  const rows = await sql(
    t.databaseUrl,
    'select name from events where user_id = $1 order by name',
    [userId],
  );
  assert.deepEqual(
    rows.map((r) => r.name),
    ['Checkout', 'Signed Up, Pro'],
  );
  // Activity and retention name it in one parameter; only a funnel, which lists its steps by
  // commas, cannot.
  const activity = await t.app.inject({
    url: `${base}/user-activity?user_id=${userId}&event=${encodeURIComponent('Signed Up, Pro')}`,
    headers: bearer(t.adminToken),
  });
  assert.equal(activity.statusCode, 200, activity.body);
  assert.deepEqual(
    activity.json().items.map((i: { event: string }) => i.event),
    ['Signed Up, Pro'],
  );
  const csv = await t.app.inject({
    url: `${base}/reports?type=retention&format=csv&start_event=${encodeURIComponent('Signed Up, Pro')}&return_event=Checkout`,
    headers: bearer(t.adminToken),
  });
  assert.equal(csv.statusCode, 200, csv.body);
  // A backslash is still refused: an InfluxDB tag cannot end in one.
  const backslash = await send('/track', key, { userId, event: 'a\\' });
  assert.equal(backslash.statusCode, 400);
});

test('fields sent as null count as absent, as analytics-python sends them; a null in properties stays', async () => {
  const { key } = await newKey();
  const userId = `py-${Date.now()}`;
  // analytics-python's shapes: every field it knows, null where the caller gave none.
  const python = (ms: number) => new Date(ms).toISOString().replace('Z', '+00:00');
  const common = {
    anonymousId: null,
    context: { library: { name: 'analytics-python', version: '2.3.4' } },
    integrations: {},
    timestamp: python(Date.now() - 60_000),
  };
  const track = { ...common, type: 'track', userId, event: 'Played', properties: { song: null } };
  const page = {
    ...common,
    type: 'page',
    userId,
    name: null,
    category: null,
    properties: { path: '/' },
  };
  const single = await send('/track', key, { ...track, messageId: `${userId}-1` });
  assert.equal(single.statusCode, 200, single.body);
  const batch = await send('/batch', key, {
    batch: [
      { ...page, messageId: `${userId}-2` },
      { ...common, type: 'identify', userId, traits: { plan: 'pro' }, messageId: `${userId}-3` },
    ],
    sentAt: python(Date.now()),
  });
  assert.equal(batch.statusCode, 200, batch.body);
  // Null where a value is required is still missing.
  const none = await send('/track', key, { ...track, userId: null, messageId: `${userId}-4` });
  assert.equal(none.statusCode, 400, none.body);
  assert.equal(none.json().errors[0].field, 'userId');
  await t.drained();
  const rows = await sql(
    t.databaseUrl,
    'select event_id, name, anonymous_id, properties from events where user_id = $1 order by event_id',
    [userId],
  );
  assert.deepEqual(
    rows.map((r) => [r.event_id, r.name, r.anonymous_id, r.properties]),
    [
      [`${userId}-1`, 'Played', null, { song: null }],
      [`${userId}-2`, 'page', null, { path: '/' }],
      [`${userId}-3`, 'identify', null, { plan: 'pro' }],
    ],
  );
});

test("the key may come as the body's writeKey, as Segment's HTTP API takes it, when no Authorization is sent", async () => {
  const { key, id } = await newKey();
  const userId = `body-key-${Date.now()}`;
  const post = (path: string, payload: object, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: `${base}${path}`, headers, payload });
  const single = await post('/track', {
    writeKey: key,
    userId,
    event: 'Ping',
    messageId: `${userId}-1`,
  });
  assert.equal(single.statusCode, 200, single.body);
  assert.deepEqual(single.json(), { success: true });
  const batch = await post('/batch', {
    writeKey: key,
    batch: [{ type: 'identify', userId, traits: { plan: 'pro' }, messageId: `${userId}-2` }],
  });
  assert.equal(batch.statusCode, 200, batch.body);
  // An unknown key, none at all, or an Authorization header that is not a live key: 401.
  for (const [payload, headers] of [
    [{ writeKey: 'wk_unknown', userId, event: 'Ping' }, {}],
    [{ userId, event: 'Ping' }, {}],
    [{ writeKey: '', userId, event: 'Ping' }, {}],
    [{ writeKey: key, userId, event: 'Ping' }, basic('wk_unknown')],
  ] as [object, Record<string, string>][]) {
    const res = await post('/track', payload, headers);
    assert.equal(res.statusCode, 401, `${JSON.stringify(payload)} ${res.body}`);
    assert.equal(res.json().code, 'invalid_write_key');
  }
  // A header that is not Basic is not a key either (a bad Bearer token is the usual 401).
  const bearerToo = await post(
    '/track',
    { writeKey: key, userId, event: 'Ping' },
    { authorization: 'Bearer not-a-key' },
  );
  assert.equal(bearerToo.statusCode, 401, bearerToo.body);
  await t.drained();
  const rows = await sql(
    t.databaseUrl,
    'select event_id, name from events where user_id = $1 order by event_id',
    [userId],
  );
  assert.deepEqual(
    rows.map((r) => [r.event_id, r.name]),
    [
      [`${userId}-1`, 'Ping'],
      [`${userId}-2`, 'identify'],
    ],
  );
  // A revoked key is refused in the body as in the header.
  const revoked = await t.app.inject({
    method: 'DELETE',
    url: `${base}/write-keys/${id}`,
    headers: bearer(t.adminToken),
  });
  assert.equal(revoked.statusCode, 204);
  const after = await post('/track', { writeKey: key, userId, event: 'Ping' });
  assert.equal(after.statusCode, 401, after.body);
});

test('ids sent as integers are their decimal text, as analytics-ruby sends a numeric user id', async () => {
  const { key } = await newKey();
  const n = Date.now();
  // analytics-ruby passes user_id, group_id and previous_id through as given: `user.id` is a number.
  const batch = await send('/batch', key, {
    batch: [
      { type: 'track', userId: n, event: 'Played', messageId: `${n}-1` },
      { type: 'group', userId: n, groupId: 42, messageId: `${n}-2` },
      { type: 'alias', userId: n, previousId: n + 1, messageId: `${n}-3` },
      { type: 'track', anonymousId: n + 2, event: 'Played', messageId: `${n}-4` },
    ],
  });
  assert.equal(batch.statusCode, 200, batch.body);
  const single = await send('/identify', key, { userId: n, messageId: `${n}-5` });
  assert.equal(single.statusCode, 200, single.body);
  // Not every number is an id: a fraction, or a number where a name belongs, is still a 400.
  const fraction = await send('/track', key, { userId: 1.5, event: 'Played' });
  assert.equal(fraction.statusCode, 400, fraction.body);
  const named = await send('/track', key, { userId: n, event: 42 });
  assert.equal(named.statusCode, 400, named.body);
  assert.equal(named.json().errors[0].field, 'event');
  await t.drained();
  const rows = await sql(
    t.databaseUrl,
    'select event_id, user_id, anonymous_id, properties from events where event_id like $1 order by event_id',
    [`${n}-%`],
  );
  assert.deepEqual(
    rows.map((r) => [r.event_id, r.user_id, r.anonymous_id, r.properties]),
    [
      [`${n}-1`, `${n}`, null, {}],
      [`${n}-2`, `${n}`, null, { group_id: '42' }],
      [`${n}-3`, `${n}`, null, { previous_id: `${n + 1}` }],
      [`${n}-4`, null, `${n + 2}`, {}],
      [`${n}-5`, `${n}`, null, {}],
    ],
  );
  const profile = await t.app.inject({
    url: `${base}/profiles/${n}`,
    headers: bearer(t.adminToken),
  });
  assert.equal(profile.statusCode, 200, profile.body);
  assert.deepEqual(profile.json().anonymous_ids, [`${n + 1}`]);
});
