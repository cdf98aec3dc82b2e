import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deflateSync, gzipSync } from 'node:zlib';
import { bearer, buildTestAnalytics, writeKeyAuth } from './helper.ts';

/**
 * Segment clients that compress their batches (RudderStack's Node SDK gzips by default, as do
 * Segment's mobile libraries) are served like the others; a compressed body is held to
 * the same limits once decoded, and a broken or unknown coding is a clear problem, never a 500.
 */
const t = await buildTestAnalytics();
const base = '/analytics/v1';
const authorization = await writeKeyAuth(t, 'compressed');

const post = (path: string, body: Buffer, coding: string) =>
  t.app.inject({
    method: 'POST',
    url: `${base}${path}`,
    headers: { authorization, 'content-type': 'application/json', 'content-encoding': coding },
    payload: body,
  });
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

test('a gzipped batch and a deflated call are taken as the plain ones', async () => {
  const userId = `gz-${crypto.randomUUID()}`;
  const batch = {
    batch: [
      { type: 'track', userId, event: 'Gzipped', messageId: `${userId}-1` },
      { type: 'identify', userId, traits: { plan: 'gz' }, messageId: `${userId}-2` },
    ],
    sentAt: new Date().toISOString(),
  };
  const gzipped = await post('/batch', gzipSync(json(batch)), 'gzip');
  assert.equal(gzipped.statusCode, 200, gzipped.body);
  assert.deepEqual(gzipped.json(), { success: true });
  const deflated = await post(
    '/track',
    deflateSync(json({ userId, event: 'Deflated', messageId: `${userId}-3` })),
    'deflate',
  );
  assert.equal(deflated.statusCode, 200, deflated.body);
  await t.drained();

  const activity = await t.app.inject({
    url: `${base}/user-activity?user_id=${userId}`,
    headers: bearer(t.adminToken),
  });
  assert.deepEqual(
    activity.json().items.map((e: { event: string }) => e.event),
    ['Deflated', 'identify', 'Gzipped'],
  );
  const profile = await t.app.inject({
    url: `${base}/profiles/${userId}`,
    headers: bearer(t.adminToken),
  });
  assert.deepEqual(profile.json().traits, { plan: 'gz' });
});

test('a compressed body past the limit once decoded is a 413, however small on the wire', async () => {
  // 2 MB of JSON in a few KB of gzip: over the batch's 500 KB.
  const bomb = gzipSync(
    json({
      batch: [
        { type: 'track', userId: 'u', event: 'Big', properties: { pad: 'x'.repeat(2 << 20) } },
      ],
    }),
  );
  assert.ok(bomb.length < 16 * 1024);
  const res = await post('/batch', bomb, 'gzip');
  assert.equal(res.statusCode, 413, res.body);
  assert.equal(res.json().code, 'payload_too_large');
});

test('a body broken in its coding is a 400, an unknown coding a 415 naming the accepted ones', async () => {
  const broken = await post('/batch', Buffer.from('not gzip at all'), 'gzip');
  assert.equal(broken.statusCode, 400, broken.body);
  assert.match(String(broken.headers['content-type']), /^application\/problem\+json/);
  assert.equal(broken.json().code, 'bad_request');
  assert.doesNotMatch(broken.body, /header check|zlib|Z_/i, 'no zlib internals');

  const truncated = gzipSync(json({ batch: [{ type: 'track', userId: 'u', event: 'Cut' }] }));
  const cut = await post('/batch', truncated.subarray(0, truncated.length - 6), 'gzip');
  assert.equal(cut.statusCode, 400, cut.body);

  const unknown = await post('/batch', json({ batch: [] }), 'br');
  assert.equal(unknown.statusCode, 415, unknown.body);
  assert.equal(unknown.json().code, 'unsupported_media_type');
  assert.equal(unknown.headers['accept-encoding'], 'gzip, deflate');
});

test('bytes not valid gzip after a body refused as too large do not crash the service', async () => {
  const crashes: unknown[] = [];
  const onUncaught = (error: unknown) => crashes.push(error);
  process.on('uncaughtException', onUncaught);
  try {
    // 4 MB of spaces in a few KB of gzip (over the batch's limit once decoded), then bytes that
    // are no gzip: the decoder fails on them after the 413. Its error was thrown (no one listened
    // any more), and close-with-grace shuts the process down on an uncaught exception.
    const body = Buffer.concat([
      gzipSync(Buffer.alloc(4 << 20, ' ')),
      Buffer.from('no gzip member follows'),
    ]);
    const res = await post('/batch', body, 'gzip');
    assert.equal(res.statusCode, 413, res.body);
    // Past the decoder's work on the rest (zlib answers from its thread pool).
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(crashes, []);
  } finally {
    process.off('uncaughtException', onUncaught);
  }
});

test('outside the Segment routes a compressed body is a 415 naming identity, not a 400', async () => {
  const res = await t.app.inject({
    method: 'POST',
    url: `${base}/track-event`,
    headers: {
      ...bearer(t.adminToken),
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    },
    payload: gzipSync(json({ event: 'Zipped' })),
  });
  assert.equal(res.statusCode, 415, res.body);
  assert.equal(res.headers['accept-encoding'], 'identity');
  assert.equal(res.json().code, 'unsupported_media_type');
});
