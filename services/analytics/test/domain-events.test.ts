import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildTestAuth, login, signUp } from '../../auth/test/helper.ts';
import { buildTestAnalytics, SERVICE_TOKEN, sql } from './helper.ts';

test("auth's outbox reaches analytics: sign-up, login and password change, each once", async () => {
  const analytics = await buildTestAnalytics();
  const analyticsUrl = await analytics.app.listen({ port: 0, host: '127.0.0.1' });
  const auth = await buildTestAuth({ ANALYTICS_URL: analyticsUrl, SERVICE_TOKEN });
  const user = await signUp(auth.app);
  const changed = await auth.app.inject({
    method: 'POST',
    url: '/accounts/v1/change-password',
    headers: { authorization: `Bearer ${user.accessToken}` },
    payload: { current_password: user.password, new_password: `${user.password} but longer` },
  });
  assert.equal(changed.statusCode, 204, changed.body);
  await login(auth.app, user.email, `${user.password} but longer`);

  const expected = ['user.logged_in', 'user.logged_in', 'user.password_changed', 'user.registered'];
  let rows: { name: string; user_id: string; event_id: string }[] = [];
  for (let i = 0; i < 400; i += 1) {
    rows = (await sql(
      analytics.databaseUrl,
      "select name, user_id, event_id from events where source = 'auth' order by name",
    )) as typeof rows;
    if (rows.length >= expected.length) break;
    await sleep(50);
  }
  assert.deepEqual(
    rows.map((r) => r.name),
    expected,
  );
  assert.ok(rows.every((r) => r.user_id === user.id && /^auth:\d+$/.test(r.event_id)));
});
