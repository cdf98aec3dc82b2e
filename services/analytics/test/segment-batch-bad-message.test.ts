import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { basicAuth, bearer, buildTestAnalytics, newWriteKey, sql } from './helper.ts';

/**
 * A Segment batch with one bad message among good ones: Segment's libraries drop a batch
 * answered 4xx whole, so the good messages are stored as if each had come alone, and the 400
 * counts them and names the bad ones by their index. On the PostgreSQL store, read back from it.
 */
const t = await buildTestAnalytics({ EVENT_NAMES_MAX: '8' });
const base = '/analytics/v1';

const newKey = async (body?: Record<string, unknown>) => (await newWriteKey(t, body)).key;

const key = await newKey();
const basic = (k: string) => ({ authorization: basicAuth(k) });

/** Sent as text, so a lone surrogate arrives as the `\ud83d` escape a truncated emoji leaves. */
const sendBatch = (batch: object[], k = key, path = '/batch', headers = {}) =>
  t.app.inject({
    method: 'POST',
    url: `${base}${path}`,
    headers: { ...basic(k), 'content-type': 'application/json', ...headers },
    payload: JSON.stringify({ batch, sentAt: new Date().toISOString() }),
  });

const stored = async (userId: string) =>
  (
    await sql(
      t.databaseUrl,
      'select event_id, name, source, properties from events where user_id = $1 order by event_id',
      [userId],
    )
  ).map((r) => [r.event_id, r.name, r.source]);

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors: { field: string; message: string }[];
}

/** A batch of three good messages and, third, one whose property ends in half an emoji. */
function mixedBatch(userId: string) {
  return [
    { type: 'track', userId, event: 'Page Viewed', messageId: `${userId}-1` },
    { type: 'identify', userId, traits: { plan: 'pro' }, messageId: `${userId}-2` },
    {
      type: 'track',
      userId,
      event: 'Review Posted',
      properties: { title: 'Great \ud83d' },
      messageId: `${userId}-3`,
    },
    { type: 'page', userId, name: 'Home', messageId: `${userId}-4` },
  ];
}

test('a batch with one invalid message stores the valid ones and answers 400 naming the refused one', async () => {
  const userId = `mixed-${randomUUID()}`;
  const res = await sendBatch(mixedBatch(userId));
  assert.equal(res.statusCode, 400, res.body);
  assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  const problem = res.json() as Problem;
  // The code any invalid batch had: callers see no new one.
  assert.equal(problem.code, 'validation_failed');
  assert.match(problem.detail, /^3 of 4 messages were accepted and 1 refused/);
  assert.deepEqual(problem.errors, [
    {
      field: 'batch.2.properties.title',
      message: 'must be well-formed Unicode (it has an unpaired surrogate)',
    },
  ]);
  await t.drained();
  assert.deepEqual(await stored(userId), [
    [`${userId}-1`, 'Page Viewed', 'segment'],
    [`${userId}-2`, 'identify', 'segment'],
    [`${userId}-4`, 'page', 'segment'],
  ]);
  // The identify among them did what it does alone: the profile has its traits.
  const profile = await t.app.inject({
    url: `${base}/profiles/${userId}`,
    headers: bearer(t.adminToken),
  });
  assert.equal(profile.statusCode, 200, profile.body);
  assert.deepEqual(profile.json().traits, { plan: 'pro' });
});

test('a batch with a bad message sent again stores nothing twice', async () => {
  const userId = `again-${randomUUID()}`;
  const batch = mixedBatch(userId);
  for (let i = 0; i < 2; i += 1) {
    const res = await sendBatch(batch);
    assert.equal(res.statusCode, 400, res.body);
    assert.match((res.json() as Problem).detail, /^3 of 4 messages were accepted/);
  }
  await t.drained();
  assert.deepEqual(
    (await stored(userId)).map(([id]) => id),
    [`${userId}-1`, `${userId}-2`, `${userId}-4`],
  );
});

test('messages refused after the schema (a track without event, a bad time) are set aside the same way', async () => {
  const userId = `semantic-${randomUUID()}`;
  const res = await sendBatch([
    { type: 'track', userId, messageId: `${userId}-1` },
    { type: 'track', userId, event: 'Kept', messageId: `${userId}-2` },
    { userId, event: 'No Type', messageId: `${userId}-3` },
    { type: 'track', userId, event: 'Kept', properties: { n: 1 }, messageId: `${userId}-4` },
  ]);
  assert.equal(res.statusCode, 400, res.body);
  const problem = res.json() as Problem;
  assert.match(problem.detail, /^2 of 4 messages were accepted and 2 refused/);
  assert.deepEqual(
    problem.errors.map((e) => e.field),
    ['batch.0.event', 'batch.2.type'],
  );
  await t.drained();
  assert.deepEqual(
    (await stored(userId)).map(([id]) => id),
    [`${userId}-2`, `${userId}-4`],
  );
});

test('a message over 32 KB beside valid ones is set aside; alone in its batch it is the 413 it was', async () => {
  const userId = `large-${randomUUID()}`;
  const large = {
    type: 'track',
    userId,
    event: 'Large',
    properties: { s: 'a'.repeat(33_000) },
    messageId: `${userId}-1`,
  };
  const res = await sendBatch([
    large,
    { type: 'track', userId, event: 'Small', messageId: `${userId}-2` },
  ]);
  assert.equal(res.statusCode, 400, res.body);
  const problem = res.json() as Problem;
  assert.match(problem.detail, /^1 of 2 messages were accepted and 1 refused/);
  assert.deepEqual(problem.errors, [{ field: 'batch.0', message: 'must be at most 32768 bytes' }]);
  const alone = await sendBatch([large, { ...large, messageId: `${userId}-3` }]);
  assert.equal(alone.statusCode, 413, alone.body);
  await t.drained();
  assert.deepEqual(
    (await stored(userId)).map(([id]) => id),
    [`${userId}-2`],
  );
});

test('a batch of only invalid messages stores nothing', async () => {
  const userId = `none-${randomUUID()}`;
  const res = await sendBatch([
    { type: 'track', userId, event: 'Bad', properties: { a: '\ud800' }, messageId: `${userId}-1` },
    { type: 'track', userId, messageId: `${userId}-2` },
  ]);
  assert.equal(res.statusCode, 400, res.body);
  const problem = res.json() as Problem;
  assert.equal(problem.code, 'validation_failed');
  assert.deepEqual(
    problem.errors.map((e) => e.field),
    ['batch.0.properties.a', 'batch.1.event'],
  );
  // And an envelope that is not sound (sentAt) fails the batch whole, as before.
  const envelope = await t.app.inject({
    method: 'POST',
    url: `${base}/batch`,
    headers: basic(key),
    payload: {
      sentAt: 'yesterday',
      batch: [{ type: 'track', userId, event: 'Good', messageId: `${userId}-3` }, { userId }],
    },
  });
  assert.equal(envelope.statusCode, 400, envelope.body);
  await t.drained();
  assert.deepEqual(await stored(userId), []);
});

test("a batch's new event names are registered all or none: refused ones are set aside, known ones kept", async () => {
  const userId = `names-${randomUUID()}`;
  const track = (event: string, n: number | string) => ({
    type: 'track',
    userId,
    event,
    messageId: `${userId}-${n}`,
  });
  // The registry (EVENT_NAMES_MAX = 8) filled up to six names: room for two more, not three.
  const [{ count }] = await sql(t.databaseUrl, 'select count(*)::int as count from event_names');
  for (let i = count; i < 6; i += 1) {
    const one = await sendBatch([track(`Known ${i}`, `known-${i}`)]);
    assert.equal(one.statusCode, 200, one.body);
  }
  const res = await sendBatch([
    track('Known 5', 1),
    track('New A', 2),
    track('New B', 3),
    track('New C', 4),
    { type: 'identify', userId, messageId: `${userId}-5` },
  ]);
  assert.equal(res.statusCode, 400, res.body);
  const problem = res.json() as Problem;
  assert.match(problem.detail, /^2 of 5 messages were accepted and 3 refused/);
  assert.deepEqual(
    problem.errors.map((e) => e.field),
    ['batch.1.event', 'batch.2.event', 'batch.3.event'],
  );
  assert.match(problem.errors[0]!.message, /EVENT_NAMES_MAX = 8/);
  // Two new names fit: such a batch is taken whole.
  const fits = await sendBatch([track('New A', 6), track('New B', 7)]);
  assert.equal(fits.statusCode, 200, fits.body);
  await t.drained();
  const ids = (await stored(userId)).map(([id]) => id).filter((id) => !id.includes('known'));
  assert.deepEqual(
    ids,
    [1, 5, 6, 7].map((n) => `${userId}-${n}`),
  );
});

test("a browser key's events are stored with source segment-browser, a server key's with segment", async () => {
  const shop = 'https://shop.example.com';
  const browserKey = await newKey({ name: 'shop', kind: 'browser', origins: [shop] });
  const userId = `browser-${randomUUID()}`;
  const res = await sendBatch(
    [
      { type: 'page', userId, name: 'Home', messageId: `${userId}-1` },
      { type: 'page', userId, name: 'Bad \u0000', messageId: `${userId}-2` },
    ],
    browserKey,
    '/b',
    { origin: shop },
  );
  assert.equal(res.statusCode, 400, res.body);
  assert.deepEqual(
    (res.json() as Problem).errors.map((e) => e.field),
    ['batch.1.name'],
  );
  const single = await t.app.inject({
    method: 'POST',
    url: `${base}/p`,
    headers: { 'content-type': 'text/plain', origin: shop },
    payload: JSON.stringify({
      writeKey: browserKey,
      userId,
      name: 'Pricing',
      messageId: `${userId}-3`,
    }),
  });
  assert.equal(single.statusCode, 200, single.body);
  await t.drained();
  assert.deepEqual(await stored(userId), [
    [`browser:${userId}-1`, 'page', 'segment-browser'],
    [`browser:${userId}-3`, 'page', 'segment-browser'],
  ]);
  const activity = await t.app.inject({
    url: `${base}/user-activity?user_id=${userId}`,
    headers: bearer(t.adminToken),
  });
  assert.deepEqual(
    activity.json().items.map((e: { source: string }) => e.source),
    ['segment-browser', 'segment-browser'],
  );
});
