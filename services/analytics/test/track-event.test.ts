import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearer, buildTestAnalytics, signUp } from './helper.ts';

test('a signed-in user tracks an event and reads it back as their activity', async () => {
  const t = await buildTestAnalytics();
  const user = await signUp(t.auth);
  const res = await t.app.inject({
    method: 'POST',
    url: '/analytics/v1/track-event',
    headers: bearer(user.accessToken),
    payload: { event: 'page.viewed', properties: { path: '/home' } },
  });
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
  assert.equal(item.event, 'page.viewed');
  assert.equal(item.user_id, user.id);
  assert.deepEqual(item.properties, { path: '/home' });
});
