import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { forgetPending } from '../src/ingestion/forget.ts';
import { domainEvent, forgetting } from './forgetting.ts';
import { bearer, buildTestAnalytics, writeKeyAuth } from './helper.ts';

const t = await buildTestAnalytics();
const { deliver, mapping, passContext } = forgetting(t);

/** The user's profile and links, whatever case their id was sent in. */
const identities = (userId: string) =>
  t.sql(
    `select 'profile' as what, user_id from profiles where lower(user_id) = $1
     union all select 'link', user_id from identity_links where lower(user_id) = $1`,
    [userId.toLowerCase()],
  );

test("a Segment backend's identify during the grace time leaves no profile or link past the final pass", async () => {
  // A backend's queue flushes after the account's deletion (a retry, a batch sent late): the
  // deletion's own removal of profile and links has run, and the messages bring them back —
  // under the real id, with the traits, and for good once the mapping is gone.
  const user = await t.user();
  const auth = await writeKeyAuth(t, 'late backend');
  await deliver([domainEvent('user.deleted', user.id)]);
  const batch = await t.app.inject({
    method: 'POST',
    url: '/analytics/v1/batch',
    headers: { authorization: auth },
    payload: {
      batch: [
        {
          type: 'identify',
          userId: user.id.toUpperCase(),
          anonymousId: randomUUID(),
          traits: { email: 'gone@example.com' },
        },
        { type: 'alias', userId: user.id, previousId: randomUUID() },
      ],
    },
  });
  assert.equal(batch.statusCode, 200, batch.body);
  await t.drained();
  assert.ok(await mapping(user.id), 'still in its grace time');

  await forgetPending(passContext(), Date.now() + 11 * 60_000);
  assert.equal(await mapping(user.id), undefined, 'the final pass ran');
  assert.deepEqual(await identities(user.id), []);
  for (const id of [user.id, user.id.toUpperCase()]) {
    const profile = await t.app.inject({
      url: `/analytics/v1/profiles/${id}`,
      headers: bearer(t.adminToken),
    });
    assert.equal(profile.statusCode, 404, `${id}: ${profile.body}`);
  }
});
