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

test("a service's 429 sets RateLimit-Reset from its Retry-After in either form, and from nothing else", async () => {
  // Retry-After is delay-seconds or an HTTP date: a date left the gateway's own window in
  // RateLimit-Reset (a client reading it came back 9 minutes early), and `1e3` was read as 1000.
  const until = new Date(Date.now() + 600_000).toUTCString();
  const service = await startUpstream((req, res) => {
    res.statusCode = 429;
    res.setHeader('content-type', 'application/problem+json');
    res.setHeader('retry-after', new URL(req.url ?? '/', 'http://x').searchParams.get('ra')!);
    res.end(JSON.stringify({ status: 429, code: 'rate_limited' }));
  });
  const gateway = await startGateway({
    MAIN_URLS: service.url,
    RATE_LIMIT_PER_ADDRESS: 100,
    RATE_LIMIT_WINDOW: 60,
  });
  try {
    const reset = async (retryAfter: string) => {
      const answer = await fetch(
        `${gateway.url}/main/v1/posts?ra=${encodeURIComponent(retryAfter)}`,
      );
      assert.equal(answer.status, 429);
      assert.equal(answer.headers.get('ratelimit-remaining'), '0');
      return Number(answer.headers.get('ratelimit-reset'));
    };
    const untilDate = await reset(until);
    assert.ok(untilDate > 590 && untilDate <= 600, `RateLimit-Reset ${untilDate}`);
    assert.equal(await reset('30'), 30);
    // Not delay-seconds: the gateway's own window stays.
    for (const odd of ['1e3', '0x10', '-5', 'soon']) {
      const own = await reset(odd);
      assert.ok(own > 0 && own <= 60, `${odd}: RateLimit-Reset ${own}`);
    }
  } finally {
    await gateway.app.close();
    await service.close();
  }
});
