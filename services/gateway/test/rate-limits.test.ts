import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  echo,
  json,
  metricsOf,
  type Problem,
  startGateway,
  startUpstream,
  type Upstream,
} from './helpers.ts';
import { post } from './services.ts';

let upstream: Upstream;
let url: string;
let close: () => Promise<void>;

before(async () => {
  upstream = await startUpstream(echo('auth'));
  const started = await startGateway({
    AUTH_URLS: upstream.url,
    MAIN_URLS: upstream.url,
    RATE_LIMIT_PER_ADDRESS: 5,
    RATE_LIMIT_LOGIN: 2,
    RATE_LIMIT_WINDOW: 60,
  });
  url = started.url;
  close = () => started.app.close();
});

after(async () => {
  await close();
  await upstream.close();
});

async function tooMany(response: Response, limit: number) {
  assert.equal(response.status, 429);
  assert.match(response.headers.get('content-type') ?? '', /problem\+json/);
  assert.equal((await json<Problem>(response)).status, 429);
  const retryAfter = Number(response.headers.get('retry-after'));
  assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  assert.equal(response.headers.get('ratelimit-limit'), String(limit));
  assert.equal(response.headers.get('ratelimit-remaining'), '0');
}

test('login has its own, stricter limit, with IETF RateLimit headers', async () => {
  const login = () => post(`${url}/accounts/v1/login`, { email: 'a@example.com', password: 'x' });
  const first = await login();
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('ratelimit-limit'), '2');
  assert.equal(first.headers.get('ratelimit-remaining'), '1');
  const reset = Number(first.headers.get('ratelimit-reset'));
  assert.ok(reset > 0 && reset <= 60, `RateLimit-Reset ${reset}`);
  assert.equal((await login()).status, 200);
  await tooMany(await login(), 2);
});

test('every other route counts per client address, and the excess is 429', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) {
    const response = await fetch(`${url}/main/v1/posts`);
    statuses.push(response.status);
    assert.equal(response.headers.get('ratelimit-remaining'), String(4 - i));
  }
  assert.deepEqual(statuses, [200, 200, 200, 200, 200]);
  await tooMany(await fetch(`${url}/main/v1/posts`), 5);
  // Health, metrics and the rest of the gateway's own pages are never limited.
  assert.equal((await fetch(`${url}/health`)).status, 200);
  const metrics = await metricsOf(url);
  assert.match(metrics, /gateway_rate_limited_total\{limit="login"[^}]*\} 1/);
  assert.match(metrics, /gateway_rate_limited_total\{limit="address"[^}]*\} 1/);
});
