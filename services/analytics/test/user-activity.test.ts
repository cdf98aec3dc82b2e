import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forgottenUser } from './forgetting.ts';
import { bearer, buildTestAnalytics } from './helper.ts';

const t = await buildTestAnalytics();
const alice = await t.user();
const bob = await t.user();

const get = (query: string, token?: string) =>
  t.app.inject({
    method: 'GET',
    url: `/analytics/v1/user-activity${query}`,
    headers: token ? bearer(token) : {},
  });

/** A cursor as a page of PostgreSQL's writes it. */
const pageCursor = Buffer.from(JSON.stringify(['1733000000000', '7'])).toString('base64url');
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
const aliceEvents = Array.from({ length: 12 }, (_, i) => ({
  event: i % 3 === 0 ? 'article.read' : 'page.viewed',
  timestamp: minutesAgo(60 - i),
  properties: { i },
}));
await t.app.inject({
  method: 'POST',
  url: '/analytics/v1/track-event',
  headers: bearer(alice.accessToken),
  payload: { events: aliceEvents },
});
await t.app.inject({
  method: 'POST',
  url: '/analytics/v1/track-event',
  headers: bearer(bob.accessToken),
  payload: { event: 'bob.only' },
});
await t.drained();

test('without a token: 401', async () => {
  assert.equal((await get('')).statusCode, 401);
});

test('a user reads only their own events, newest first, page by page', async () => {
  const seen: number[] = [];
  let cursor = '';
  for (let i = 0; i < 10; i += 1) {
    const res = await get(`?limit=5${cursor ? `&cursor=${cursor}` : ''}`, alice.accessToken);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    seen.push(...body.items.map((e: { properties: { i: number } }) => e.properties.i));
    assert.ok(body.items.every((e: { user_id: string }) => e.user_id === alice.id));
    if (!body.next_cursor) break;
    cursor = body.next_cursor;
  }
  assert.deepEqual(seen, [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
});

test('filters by event name and time range', async () => {
  const byName = (await get('?event=article.read', alice.accessToken)).json();
  assert.deepEqual(
    byName.items.map((e: { properties: { i: number } }) => e.properties.i),
    [9, 6, 3, 0],
  );
  const from = encodeURIComponent(minutesAgo(50.5));
  const to = encodeURIComponent(minutesAgo(48.5));
  const ranged = (await get(`?from=${from}&to=${to}`, alice.accessToken)).json();
  assert.deepEqual(
    ranged.items.map((e: { properties: { i: number } }) => e.properties.i),
    [11, 10],
  );
});

test("a user asking for another user's activity gets 403", async () => {
  const res = await get(`?user_id=${bob.id}`, alice.accessToken);
  assert.equal(res.statusCode, 403);
  assert.equal((await get(`?user_id=${alice.id}`, alice.accessToken)).statusCode, 200);
});

test("an admin reads anyone's activity", async () => {
  const res = await get(`?user_id=${bob.id}`, t.adminToken);
  assert.equal(res.statusCode, 200);
  assert.deepEqual(
    res.json().items.map((e: { event: string }) => e.event),
    ['bob.only'],
  );
});

test('bad parameters are 400 with errors', async () => {
  // Cursors that decode, but to what no page of the store's would hold.
  const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const queries = [
    '?limit=0',
    '?limit=1000',
    '?limit=Infinity',
    '?limit=-1e400',
    '?from=nope',
    '?from=2016-12-31T23:59:60Z',
    '?to=0000-01-01T00:00:00Z',
    // Segment's names are printable text; a backslash no event name holds (a comma may be in one).
    '?event=bad%5Cname',
    '?user_id=a%00b',
    '?cursor=garbage',
    // Empty is no cursor a page gave: a client looping on `cursor=${next ?? ''}` would start over.
    '?cursor=',
    `?cursor=${cursor(['1', 'x'])}`,
    `?cursor=${cursor(['99999999999999999999', '1'])}`,
    `?cursor=${cursor(['1', 'a\u0000'])}`,
    // The position of a cursor a page gives, written another way: one position, one cursor.
    ...[
      `${cursor(['1733000000000', '7'])}=`,
      Buffer.from('["1733000000000", "7"]').toString('base64url'),
      Buffer.from('["1733000000000","\\u0037"]').toString('base64url'),
      // Stray bits in the last character, and characters base64url skips.
      'WyIxNzMzMDAwMDAwMDAwIiwiNzAiXR',
      'WyIxNzMzMDAwMDAwMDAwIiwiNzAiXQ.!',
      cursor(['01733000000000', '7']),
      cursor(['1733000000000', '07']),
    ].map((c) => `?cursor=${encodeURIComponent(c)}`),
  ];
  for (const query of queries) {
    const res = await get(query, alice.accessToken);
    assert.equal(res.statusCode, 400, `${query}: ${res.body}`);
    assert.ok(res.json().errors.length > 0, query);
    if (query.startsWith('?cursor=')) {
      assert.deepEqual(
        res.json().errors.map((e: { field: string }) => e.field),
        ['cursor'],
        query,
      );
    }
  }
  // As the encoder writes it, the same position is a page.
  const fine = await get(`?cursor=${cursor(['1733000000000', '7'])}`, alice.accessToken);
  assert.equal(fine.statusCode, 200, fine.body);
  const reversed = `?from=${encodeURIComponent(minutesAgo(1))}&to=${encodeURIComponent(minutesAgo(2))}`;
  assert.equal((await get(reversed, alice.accessToken)).statusCode, 400);
});

test("a user's own id in any case is theirs; anyone else's is read as it was sent", async () => {
  const own = (await get('', alice.accessToken)).json().items;
  assert.ok(own.length > 0);
  const upper = await get(`?user_id=${alice.id.toUpperCase()}`, alice.accessToken);
  assert.equal(upper.statusCode, 200, upper.body);
  assert.deepEqual(upper.json().items, own);
  // Another user's id stays another user's, whatever its case.
  assert.equal((await get(`?user_id=${bob.id.toUpperCase()}`, alice.accessToken)).statusCode, 403);

  // A site's Segment client sending upper-case UUIDs (Swift's uuidString): stored as sent, and an
  // admin finds them under that spelling, activity and profile alike.
  const created = await t.app.inject({
    method: 'POST',
    url: '/analytics/v1/write-keys',
    headers: bearer(t.adminToken),
    payload: { name: 'ios' },
  });
  const key = created.json().key as string;
  const sent = '6F9619FF-8B86-D011-B42D-00C04FC964FF';
  const basic = { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` };
  for (const [path, payload] of [
    ['track', { userId: sent, event: 'page.viewed' }],
    ['identify', { userId: sent, traits: { plan: 'pro' } }],
  ] as const) {
    const res = await t.app.inject({
      method: 'POST',
      url: `/analytics/v1/${path}`,
      headers: basic,
      payload,
    });
    assert.equal(res.statusCode, 200, res.body);
  }
  await t.drained();
  const asAdmin = await get(`?user_id=${sent}`, t.adminToken);
  assert.equal(asAdmin.statusCode, 200, asAdmin.body);
  const ids = asAdmin.json().items.map((e: { user_id: string }) => e.user_id);
  assert.ok(ids.length >= 2, 'the track and the identify');
  assert.ok(ids.every((id: string) => id === sent));
  const profile = await t.app.inject({
    url: `/analytics/v1/profiles/${sent}`,
    headers: bearer(t.adminToken),
  });
  assert.equal(profile.statusCode, 200, profile.body);
  assert.equal(profile.json().traits.plan, 'pro');
});

test("an admin reads a visitor's anonymous events by anonymous_id, paged and filtered as by user_id; anyone else gets 403", async () => {
  const visitor = `visitor-${Date.now()}`;
  const sent = Array.from({ length: 5 }, (_, i) => ({
    event: i === 0 ? 'signup.started' : 'page.viewed',
    anonymous_id: visitor,
    timestamp: minutesAgo(30 - i),
  }));
  const anonymous = await t.app.inject({
    method: 'POST',
    url: '/analytics/v1/track-event',
    payload: { events: sent },
  });
  assert.equal(anonymous.statusCode, 202, anonymous.body);
  // The same visitor once signed in as bob (never linked by identify or alias).
  await t.app.inject({
    method: 'POST',
    url: '/analytics/v1/track-event',
    headers: bearer(bob.accessToken),
    payload: { event: 'page.viewed', anonymous_id: visitor, timestamp: minutesAgo(10) },
  });
  await t.drained();

  const seen: { event: string; anonymous_id: string; user_id: string | null; timestamp: string }[] =
    [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const after: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const res = await get(`?anonymous_id=${visitor}&limit=2${after}`, t.adminToken);
    assert.equal(res.statusCode, 200, res.body);
    seen.push(...res.json().items);
    cursor = res.json().next_cursor;
    pages += 1;
  } while (cursor);
  assert.equal(pages, 3);
  assert.equal(seen.length, 6);
  assert.ok(seen.every((e) => e.anonymous_id === visitor));
  assert.deepEqual(
    seen.map((e) => e.user_id),
    [bob.id, null, null, null, null, null],
  );
  const times = seen.map((e) => e.timestamp);
  assert.deepEqual(times, [...times].sort().reverse());
  const filtered = await get(`?anonymous_id=${visitor}&event=signup.started`, t.adminToken);
  assert.deepEqual(
    filtered.json().items.map((e: { event: string }) => e.event),
    ['signup.started'],
  );
  const ranged = await get(
    `?anonymous_id=${visitor}&from=${encodeURIComponent(minutesAgo(27.5))}&to=${encodeURIComponent(minutesAgo(20))}`,
    t.adminToken,
  );
  assert.equal(ranged.json().items.length, 2, ranged.body);
  // Another visitor's id: nothing.
  assert.deepEqual((await get('?anonymous_id=nobody-here', t.adminToken)).json().items, []);

  // Not an admin: 403, even for events they sent themselves, as for user_id= of another user.
  for (const token of [alice.accessToken, bob.accessToken]) {
    const res = await get(`?anonymous_id=${visitor}`, token);
    assert.equal(res.statusCode, 403, res.body);
  }
  assert.equal((await get(`?anonymous_id=${visitor}`)).statusCode, 401);
  const both = await get(`?anonymous_id=${visitor}&user_id=${bob.id}`, t.adminToken);
  assert.equal(both.statusCode, 400, both.body);
  assert.deepEqual(both.json().errors, [{ field: 'anonymous_id', message: 'not with user_id' }]);
  for (const bad of ['', 'a%0Ab', 'x'.repeat(201)]) {
    const res = await get(`?anonymous_id=${bad}`, t.adminToken);
    assert.equal(res.statusCode, 400, `${bad}: ${res.body}`);
  }
  // The user's own reading is unchanged: bob sees his event, not the visitor's anonymous ones.
  const own = await get('', bob.accessToken);
  assert.ok(
    own.json().items.every((e: { user_id: string }) => e.user_id === bob.id),
    own.body,
  );
});

test('a malformed cursor is a 400 for a user being forgotten too', async () => {
  // A deleted user's activity is empty while they are being forgotten: answered 200 before the
  // cursor was read, so a malformed one was a 400 for anyone else and a page for them.
  const carol = await t.user();
  await forgottenUser(t, { forgotten: 2, passed: 2 }, carol.id);
  try {
    for (const [who, query, token] of [
      ['an admin', `?user_id=${carol.id}&cursor=garbage`, t.adminToken],
      ['the user', '?cursor=garbage', carol.accessToken],
    ] as const) {
      const res = await get(query, token);
      assert.equal(res.statusCode, 400, `${who}: ${res.body}`);
      assert.deepEqual(
        res.json().errors.map((e: { field: string }) => e.field),
        ['cursor'],
        who,
      );
    }
    // A cursor a page could give: still nothing.
    const page = await get(`?user_id=${carol.id}&cursor=${pageCursor}`, t.adminToken);
    assert.equal(page.statusCode, 200, page.body);
    assert.deepEqual(page.json(), { items: [], next_cursor: null });
  } finally {
    await t.sql('delete from forgotten_users where user_id = $1', [carol.id]);
  }
});
