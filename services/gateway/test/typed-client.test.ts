import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createApiClient } from '@platform/client';
import { lintOpenApi, startedSideBySide, TEST_SECRETS } from '@platform/testing';
import { startAnalyticsService } from './analytics-service.ts';
import { closeAtEnd, startGateway } from './helpers.ts';
import { startAuthService, startService } from './services.ts';

/**
 * The generated client (packages/client) drives the real stack through the gateway: a breaking
 * change of a document the client was generated from breaks this test (or `tsc`).
 */
test('the typed client signs up, signs in, writes a post and finds it in the list', async () => {
  const { cleanup } = closeAtEnd();
  const auth = await startAuthService();
  cleanup(auth.stop);
  // main and analytics start side by side: both only wait for auth.
  const [main, analytics] = await startedSideBySide(cleanup, [
    startService('main', { AUTH_URL: auth.url }),
    startAnalyticsService({ authUrl: auth.url, serviceToken: TEST_SECRETS.SERVICE_TOKEN }),
  ]);
  const { app, url } = await startGateway(
    { AUTH_URLS: auth.url, MAIN_URLS: main.url, ANALYTICS_URLS: analytics.url },
    { auth: 'real' },
  );
  cleanup(() => app.close());

  let token: string | undefined;
  const api = createApiClient({ baseUrl: url, accessToken: () => token });
  const unique = `${process.pid}c${Date.now().toString(36)}`;
  const credentials = {
    email: `client${unique}@example.com`,
    username: `client${unique}`,
    password: `typed client ${unique}`,
  };

  const registered = await api.accounts.POST('/accounts/v1/register', { body: credentials });
  assert.equal(registered.response.status, 201, JSON.stringify(registered.error));
  const again = await api.accounts.POST('/accounts/v1/register', { body: credentials });
  assert.equal(again.response.status, 409);
  assert.equal(again.error?.code, 'email_taken');

  const wrong = await api.accounts.POST('/accounts/v1/login', {
    body: { email: credentials.email, password: 'not the password at all' },
  });
  assert.equal(wrong.error?.code, 'invalid_credentials');
  const login = await api.accounts.POST('/accounts/v1/login', {
    body: { email: credentials.email, password: credentials.password },
  });
  assert.ok(login.data, JSON.stringify(login.error));
  // Without MFA the answer is the token pair; the type says it could be an MFA challenge.
  assert.ok('access_token' in login.data, 'no MFA on this account');
  const signedIn = login.data;
  token = signedIn.access_token;

  const created = await api.main.POST('/main/v1/posts', {
    body: {
      title: 'Written with the typed client',
      body: 'Generated from OpenAPI.',
      status: 'published',
    },
  });
  assert.ok(created.data, JSON.stringify(created.error));
  const { post } = created.data;
  assert.equal(post.author_id, signedIn.user.id);

  const listed = await api.main.GET('/main/v1/posts', {
    params: { query: { author: signedIn.user.id, sort: '-published_at' } },
  });
  assert.ok(listed.data, JSON.stringify(listed.error));
  assert.deepEqual(
    listed.data.items.map((item) => item.id),
    [post.id],
  );

  const stale = await api.main.PATCH('/main/v1/posts/{id}', {
    params: { path: { id: post.id }, header: { 'if-match': '"stale"' } },
    body: { title: 'Too late' },
  });
  assert.equal(stale.response.status, 412);
  assert.equal(stale.error?.code, 'version_conflict');

  // What a client generator reads, through the gateway: each service's document and /docs.
  for (const path of [
    '/accounts/v1/openapi.json',
    '/main/v1/openapi.json',
    '/analytics/v1/openapi.json',
    '/docs/json',
  ]) {
    const document = (await (await fetch(`${url}${path}`)).json()) as { paths: object };
    assert.ok(Object.keys(document.paths).length >= 5, path);
    assert.deepEqual(await lintOpenApi(document, path), [], path);
  }
});
