import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort } from '@platform/launcher';
import { startedSideBySide, TEST_SECRETS } from '@platform/testing';
import { decodeJwt } from 'jose';
import { sql } from '../../analytics/test/helper.ts';
import { startAnalyticsService } from './analytics-service.ts';
import { closeAtEnd, startGateway } from './helpers.ts';
import { eventually, post, signUp, startAuthService, startService } from './services.ts';

const ADMIN = { email: 'deletion-admin@example.com', password: 'admin password for deletion' };
const { cleanup } = closeAtEnd();

// Auth's outbox goes to main (user.deleted) and analytics (everything), as the manifests say.
const mainPort = await freePort();
const analyticsPort = await freePort();
const auth = await startAuthService({
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
  EVENT_SUBSCRIBERS: `main:user.deleted=http://127.0.0.1:${mainPort};analytics:*=http://127.0.0.1:${analyticsPort}`,
});
cleanup(auth.stop);
// main and analytics start side by side: both only wait for auth.
const [main, analytics] = await startedSideBySide(cleanup, [
  startService('main', { AUTH_URL: auth.url, PORT: String(mainPort) }),
  startAnalyticsService({
    authUrl: auth.url,
    serviceToken: TEST_SECRETS.SERVICE_TOKEN,
    port: analyticsPort,
  }),
]);
const { app, url } = await startGateway(
  { AUTH_URLS: auth.url, MAIN_URLS: main.url, ANALYTICS_URLS: analytics.url },
  { auth: 'real' },
);
cleanup(() => app.close());

const as = (token: string) => ({ authorization: `Bearer ${token}` });
const call = (method: string, path: string, token?: string, body?: unknown) =>
  fetch(`${url}${path}`, {
    method,
    headers: {
      ...(token ? as(token) : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const signIn = async (email: string, password: string) => {
  const res = await post(`${url}/accounts/v1/login`, { email, password });
  assert.equal(res.status, 200);
  return ((await res.json()) as { access_token: string }).access_token;
};
const adminToken = await signIn(ADMIN.email, ADMIN.password);

test('deleting an account through the gateway: tokens refused, posts gone, activity unlinked, email free', async () => {
  const user = await signUp(url);
  const phone = await signIn(user.email, user.password);
  const created = await call('POST', '/main/v1/posts', user.accessToken, {
    title: 'Soon gone',
    body: 'A post by an account that will be deleted.',
    status: 'published',
  });
  assert.equal(created.status, 201);
  const { post: written } = (await created.json()) as { post: { id: string } };
  const tracked = await call('POST', '/analytics/v1/track-event', user.accessToken, {
    event: 'page.viewed',
    properties: { path: '/pricing' },
  });
  assert.equal(tracked.status, 202);
  const activity = async (token: string, query = '') =>
    (await (await call('GET', `/analytics/v1/user-activity${query}`, token)).json()) as {
      items: { event: string }[];
    };
  await eventually(async () =>
    (await activity(user.accessToken)).items.some((e) => e.event === 'page.viewed'),
  );

  // Without the password, or with a wrong one, nothing happens.
  assert.equal((await call('DELETE', '/accounts/v1/user', undefined, {})).status, 401);
  assert.equal((await call('DELETE', '/accounts/v1/user', user.accessToken, {})).status, 400);
  const wrong = await call('DELETE', '/accounts/v1/user', user.accessToken, {
    current_password: 'not the password at all',
  });
  assert.equal(wrong.status, 403);
  assert.equal((await call('GET', `/main/v1/posts/${written.id}`)).status, 200);

  const deleted = await call('DELETE', '/accounts/v1/user', user.accessToken, {
    current_password: user.password,
  });
  assert.equal(deleted.status, 204);

  // Both sessions are refused at the gateway (main's route would take a token happily).
  for (const token of [user.accessToken, phone]) {
    await eventually(async () => (await call('GET', '/main/v1/posts', token)).status === 401);
  }
  assert.equal((await call('GET', '/accounts/v1/user', phone)).status, 401);
  // Main deleted the posts on auth's user.deleted.
  await eventually(
    async () => (await call('GET', `/main/v1/posts/${written.id}`)).status === 404,
    20_000,
  );
  // Analytics unlinked the events: none under the id, the page view still counted.
  await eventually(
    async () => (await activity(adminToken, `?user_id=${user.id}`)).items.length === 0,
    20_000,
  );
  await eventually(async () => {
    const rows = await sql(
      analytics.databaseUrl,
      'select name, user_id from events where user_id = $1 or properties::text like $2',
      [user.id, `%${user.id}%`],
    );
    return rows.length === 0;
  }, 20_000);
  const kept = await sql(
    analytics.databaseUrl,
    `select name from events where name = 'page.viewed' and user_id like 'deleted-%'`,
  );
  assert.equal(kept.length, 1);

  // The audit log keeps the deletion under the id, readable by an admin.
  const audit = await call(
    'GET',
    `/accounts/v1/audit-events?user_id=${user.id}&type=account.deleted`,
    adminToken,
  );
  assert.equal(audit.status, 200);
  assert.equal(((await audit.json()) as { items: unknown[] }).items.length, 1);

  const again = await post(`${url}/accounts/v1/register`, {
    email: user.email,
    username: user.username,
    password: 'a new account on an old address',
  });
  assert.equal(again.status, 201);
});

test('sessions through the gateway: listed, one ended is refused, another user’s is a 404', async () => {
  const user = await signUp(url);
  const laptop = await signIn(user.email, user.password);
  const listed = await call('GET', '/accounts/v1/user/sessions', laptop);
  assert.equal(listed.status, 200);
  const { items } = (await listed.json()) as { items: { id: string; current: boolean }[] };
  assert.equal(items.length, 2);
  assert.equal(items.find((s) => s.current)?.id, decodeJwt(laptop).sid);

  const ended = await call(
    'DELETE',
    `/accounts/v1/user/sessions/${decodeJwt(user.accessToken).sid}`,
    laptop,
  );
  assert.equal(ended.status, 204);
  await eventually(
    async () => (await call('GET', '/main/v1/posts', user.accessToken)).status === 401,
  );
  assert.equal((await call('GET', '/main/v1/posts', laptop)).status, 200);

  const stranger = await signUp(url);
  const theirs = await call(
    'DELETE',
    `/accounts/v1/user/sessions/${decodeJwt(stranger.accessToken).sid}`,
    laptop,
  );
  assert.equal(theirs.status, 404);
  assert.equal((await call('GET', '/accounts/v1/user', stranger.accessToken)).status, 200);
});

test('the audit log through the gateway: own events for a user, everyone’s only for an admin', async () => {
  const user = await signUp(url);
  const own = await call('GET', '/accounts/v1/user/audit-events', user.accessToken);
  assert.equal(own.status, 200);
  const { items } = (await own.json()) as { items: { type: string; user_id: string }[] };
  assert.deepEqual(
    items.map((e) => e.type),
    ['login.succeeded'],
  );
  assert.equal((await call('GET', '/accounts/v1/audit-events', user.accessToken)).status, 403);
  assert.equal((await call('GET', '/accounts/v1/audit-events')).status, 401);
  const all = await call('GET', `/accounts/v1/audit-events?user_id=${user.id}`, adminToken);
  assert.equal(all.status, 200);
});
