import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '@platform/config';
import { TEST_SECRETS } from '@platform/testing';
import { buildApp } from '../src/app.ts';
import { ConfigSchema } from '../src/config.ts';
import { closeAtEnd, startGateway } from './helpers.ts';
import { eventually, post, signUp, startAuthService } from './services.ts';

/** The real auth service's revocation feed answers only services that send SERVICE_TOKEN. */
const { cleanup } = closeAtEnd();
const auth = await startAuthService();
cleanup(auth.stop);

const feed = (headers: Record<string, string> = {}) =>
  fetch(`${auth.url}/internal/revocations`, { headers });

test('the feed refuses a caller without the service token, or with a wrong one, with 401', async () => {
  const guesses: Record<string, string>[] = [
    {},
    { 'x-service-token': 'guess-0123456789abcdef0123456789abcdef' },
  ];
  for (const headers of guesses) {
    const res = await feed(headers);
    assert.equal(res.status, 401, JSON.stringify(headers));
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const body = (await res.json()) as { status: number; items?: unknown };
    assert.equal(body.status, 401);
    assert.equal(body.items, undefined);
  }
  const ok = await feed({ 'x-service-token': TEST_SECRETS.SERVICE_TOKEN });
  assert.equal(ok.status, 200);
  assert.ok(Array.isArray(((await ok.json()) as { items: unknown[] }).items));
});

test('a gateway with the token follows the feed; a logout is refused there within a second', async () => {
  const started = await startGateway({ AUTH_URLS: auth.url }, { auth: 'real' });
  cleanup(() => started.app.close());
  const { url } = started;
  await eventually(async () => (await fetch(`${url}/health/ready`)).status === 200);

  const user = await signUp(url);
  const me = () =>
    fetch(`${url}/accounts/v1/user`, { headers: { authorization: `Bearer ${user.accessToken}` } });
  assert.equal((await me()).status, 200);
  const logout = await post(
    `${url}/accounts/v1/logout`,
    {},
    {
      authorization: `Bearer ${user.accessToken}`,
    },
  );
  assert.equal(logout.status, 204);
  // The auth service itself refuses at once; the gateway learns it from the feed.
  await eventually(async () => (await me()).status === 401, 1000);
  assert.equal((await fetch(`${url}/internal/revocations`)).status, 404);
});

test('a gateway without SERVICE_TOKEN does not start: it could not read the feed', async () => {
  const config = loadConfig(ConfigSchema, { AUTH_URLS: auth.url, LOG_LEVEL: 'silent' });
  await assert.rejects(buildApp(config), {
    name: 'ConfigError',
    message: 'SERVICE_TOKEN is not set: expected at least 32 characters',
  });
});

test('a gateway with a wrong token is never ready: it cannot know which tokens were revoked', async () => {
  const wrong = await startGateway(
    { AUTH_URLS: auth.url, SERVICE_TOKEN: 'wrong-token-0123456789abcdef0123456789' },
    { auth: 'real' },
  );
  cleanup(() => wrong.app.close());
  const right = await startGateway({ AUTH_URLS: auth.url }, { auth: 'real' });
  cleanup(() => right.app.close());
  // Both poll the same feed on the same schedule; by the time one has synced, so could the other.
  await eventually(async () => (await fetch(`${right.url}/health/ready`)).status === 200);
  const res = await fetch(`${wrong.url}/health/ready`);
  assert.equal(res.status, 503);
  const body = (await res.json()) as { checks: Record<string, string> };
  assert.notEqual(body.checks.revocations, 'ok');
});
