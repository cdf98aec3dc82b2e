import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestAnalytics, SERVICE_TOKEN, sql } from '../../analytics/test/helper.ts';
import { closeAtEnd, startGateway } from './helpers.ts';
import { eventually, post, signUp, startAuthService } from './services.ts';

const { cleanup } = closeAtEnd();

test("auth's outbox reaches analytics: sign-up, login and password change, each once", async () => {
  const analytics = await buildTestAnalytics();
  const analyticsUrl = await analytics.app.listen({ port: 0, host: '127.0.0.1' });
  const auth = await startAuthService({ ANALYTICS_URL: analyticsUrl, SERVICE_TOKEN });
  cleanup(auth.stop);
  const { app, url } = await startGateway({ AUTH_URLS: auth.url }, { auth: 'real' });
  cleanup(() => app.close());

  const user = await signUp(url);
  const newPassword = `${user.password} but longer`;
  const changed = await post(
    `${url}/accounts/v1/change-password`,
    { current_password: user.password, new_password: newPassword },
    { authorization: `Bearer ${user.accessToken}` },
  );
  assert.equal(changed.status, 204, await changed.text());
  const login = await post(`${url}/accounts/v1/login`, {
    email: user.email,
    password: newPassword,
  });
  assert.equal(login.status, 200);

  const expected = ['user.logged_in', 'user.logged_in', 'user.password_changed', 'user.registered'];
  const events = () =>
    sql(
      analytics.databaseUrl,
      "select name, user_id, event_id from events where source = 'auth' order by name",
    );
  await eventually(async () => (await events()).length >= expected.length, 20_000);
  const rows = await events();
  assert.deepEqual(
    rows.map((r) => r.name),
    expected,
  );
  assert.ok(rows.every((r) => r.user_id === user.id && /^auth:\d+$/.test(r.event_id)));
});
