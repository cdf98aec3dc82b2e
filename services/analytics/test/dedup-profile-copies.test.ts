import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { openDatabase } from '../src/db/index.ts';
import { createDedup, fingerprint, segmentKey } from '../src/ingestion/dedup.ts';
import { bearer, buildTestAnalytics, sql, userDeleted, writeKeyAuth } from './helper.ts';

/**
 * Profiles and links are recorded as a write-key message is accepted, copies included, on the
 * ground that a copy changes nothing (review). A copy that arrives after the user was deleted
 * would bring their profile and links back: a message whose id was taken before (its event
 * dropped by the writer) leaves them alone.
 */

const t = await buildTestAnalytics();
const base = '/analytics/v1';

test("a copy of an identify sent after the user's deletion does not bring the profile back", async () => {
  const authorization = await writeKeyAuth(t);
  // Auth's ids are UUIDs: the deletion is remembered until the user's events are unlinked.
  const userId = randomUUID();
  const identify = () =>
    t.app.inject({
      method: 'POST',
      url: `${base}/identify`,
      headers: { authorization },
      payload: {
        userId,
        anonymousId: `${userId}-anon`,
        traits: { email: 'gone@example.com' },
        messageId: `identify-${userId}`,
      },
    });
  assert.equal((await identify()).statusCode, 200);
  await t.drained();
  const deleted = await userDeleted(t, userId);
  assert.equal(deleted.statusCode, 202, deleted.body);
  const profile = () =>
    t.app.inject({ url: `${base}/profiles/${userId}`, headers: bearer(t.adminToken) });
  assert.equal((await profile()).statusCode, 404);

  // The client's retry of the same message (its answer was lost).
  assert.equal((await identify()).statusCode, 200);
  await t.drained();
  assert.equal((await profile()).statusCode, 404, (await profile()).body);
  assert.deepEqual(
    await sql(t.databaseUrl, 'select anonymous_id from identity_links where user_id = $1', [
      userId,
    ]),
    [],
  );
});

test('a copy whose id another replica took leaves the profile alone', async () => {
  // Another replica's writer took the message's id (its request recorded the profile there).
  const other = await openDatabase(t.databaseUrl);
  const messageId = `identify-elsewhere-${Date.now()}`;
  try {
    const dedup = createDedup({ maxIds: 10_000 });
    assert.deepEqual(
      await other.db.transaction((tx) =>
        dedup.claim(tx, [fingerprint(segmentKey(messageId, true))]),
      ),
      [true],
    );
  } finally {
    await other.close();
  }
  const authorization = await writeKeyAuth(t);
  const userId = `elsewhere-${Date.now()}`;
  const res = await t.app.inject({
    method: 'POST',
    url: `${base}/identify`,
    headers: { authorization },
    payload: { userId, traits: { email: 'x@example.com' }, messageId },
  });
  assert.equal(res.statusCode, 200);
  const profile = await t.app.inject({
    url: `${base}/profiles/${userId}`,
    headers: bearer(t.adminToken),
  });
  assert.equal(profile.statusCode, 404, profile.body);
});
