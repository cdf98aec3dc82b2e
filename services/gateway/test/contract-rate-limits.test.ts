import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closeAtEnd, echo, startGateway, startUpstream } from './helpers.ts';

/**
 * The contract's rate limits as the manifests' EDGE_ROUTES set them: sign-in and password reset
 * stricter than the rest, and `PATCH /user` (which mails on an email change) limited like
 * `/register`. An echo upstream stands in for the services; only the gateway counts here.
 */
const { cleanup } = closeAtEnd();
const upstream = await startUpstream(echo('any'));
cleanup(upstream.close);
const { app, url } = await startGateway({
  AUTH_URLS: upstream.url,
  MAIN_URLS: upstream.url,
  RATE_LIMIT_PER_ADDRESS: 50,
  RATE_LIMIT_REGISTER: 3,
  RATE_LIMIT_LOGIN: 4,
  RATE_LIMIT_PASSWORD_RESET: 2,
});
cleanup(() => app.close());

const send = (method: string, path: string) =>
  fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(method === 'GET' ? {} : { body: '{}' }),
  });

/** Sends until the limit is spent: each answer names the limit, the one after it is 429. */
async function spend(method: string, path: string, limit: number) {
  for (let i = 0; i < limit; i++) {
    const res = await send(method, path);
    assert.equal(res.status, 200, `${method} ${path} #${i + 1}`);
    assert.equal(res.headers.get('ratelimit-limit'), String(limit), `${method} ${path}`);
    assert.equal(res.headers.get('ratelimit-remaining'), String(limit - i - 1));
    assert.ok(Number(res.headers.get('ratelimit-reset')) > 0);
  }
  const over = await send(method, path);
  assert.equal(over.status, 429, `${method} ${path} over its limit`);
  assert.match(over.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(((await over.json()) as { code: string }).code, 'rate_limited');
  assert.ok(Number(over.headers.get('retry-after')) >= 1);
  assert.ok(over.headers.get('x-request-id'));
}

test('PATCH /user is rate-limited like /register', async () => {
  await spend('POST', '/accounts/v1/register', 3);
  await spend('PATCH', '/accounts/v1/user', 3);
  // Reading the profile is not: it counts under the general limit.
  const read = await send('GET', '/accounts/v1/user');
  assert.equal(read.status, 200);
  assert.equal(read.headers.get('ratelimit-limit'), '50');
});

test('login and password reset have stricter limits than the rest', async () => {
  await spend('POST', '/accounts/v1/login', 4);
  await spend('POST', '/accounts/v1/reset-password', 2);
  await spend('POST', '/accounts/v1/reset-password/confirm', 2);
  const other = await send('GET', '/main/v1/posts');
  assert.equal(other.headers.get('ratelimit-limit'), '50');
});

test('the reset page’s form, which mails a link too, counts under the password-reset limit, however its path is written', async () => {
  // (A doubled slash, /v1//pages/…, passes at the general limit: auth routes it nowhere, a 404.)
  await spend('POST', '/accounts/v1/pages/reset-password', 2);
  for (const path of [
    '/accounts/v1/pages/reset-password/',
    '/accounts/v1/pages/reset-password?email=x',
    '/accounts/v1/pages/%72eset-password',
  ]) {
    const res = await send('POST', path);
    assert.equal(res.status, 429, path);
  }
});
