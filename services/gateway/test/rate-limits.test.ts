import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  acceptUserTokens,
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

// One address rotating tokens (sign-up allows 120 accounts a minute from it) had each token's
// whole per-user limit: N tokens, N times the budget. Its signed-in requests share a ceiling too.
test("signed-in requests from one address share a ceiling of their own, beside each user's limit", async () => {
  const gateway = await startGateway(
    {
      MAIN_URLS: upstream.url,
      AUTH_URLS: upstream.url,
      TRUST_PROXY: '127.0.0.1',
      RATE_LIMIT_PER_USER: 100,
      RATE_LIMIT_PER_ADDRESS_SIGNED_IN: 5,
      RATE_LIMIT_PER_ADDRESS: 3,
      RATE_LIMIT_WINDOW: 60,
    },
    { auth: acceptUserTokens },
  );
  try {
    const from = (address: string, user?: string) =>
      fetch(`${gateway.url}/main/v1/posts`, {
        headers: {
          'x-forwarded-for': address,
          ...(user ? { authorization: `Bearer user-${user}` } : {}),
        },
      });
    // Five users at one address, twice each: each far under its 100, together twice the ceiling.
    const statuses: number[] = [];
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 10; i++) {
      const response = await from('198.51.100.7', String(i % 5));
      statuses.push(response.status);
      remaining.push(response.headers.get('ratelimit-remaining'));
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429, 429, 429, 429]);
    // The headers tell of the limit nearest its end: the address's, not each user's 99 left.
    assert.deepEqual(remaining.slice(0, 5), ['4', '3', '2', '1', '0']);
    await tooMany(await from('198.51.100.7', 'fresh'), 5);
    // Another address, the same users: a count of its own.
    const elsewhere = await from('198.51.100.8', '0');
    assert.equal(elsewhere.status, 200);
    assert.equal(elsewhere.headers.get('ratelimit-limit'), '5');
    assert.equal(elsewhere.headers.get('ratelimit-remaining'), '4');
    // Anonymous requests from the full address have their own, untouched count...
    const anonymous = await from('198.51.100.7');
    assert.equal(anonymous.status, 200);
    assert.equal(anonymous.headers.get('ratelimit-limit'), '3');
    assert.equal(anonymous.headers.get('ratelimit-remaining'), '2');
    // ...and spend none of the signed-in one.
    for (let i = 0; i < 3; i++) assert.equal((await from('198.51.100.9')).status, 200);
    await tooMany(await from('198.51.100.9'), 3);
    const signedIn = await from('198.51.100.9', '0');
    assert.equal(signedIn.status, 200);
    assert.equal(signedIn.headers.get('ratelimit-remaining'), '4');
    assert.match(
      await metricsOf(gateway.url),
      /gateway_rate_limited_total\{limit="signed-in"[^}]*\} 6/,
    );
  } finally {
    await gateway.app.close();
  }
});

test("a signed-in user's requests past its own limit spend none of its address's", async () => {
  const gateway = await startGateway(
    {
      MAIN_URLS: upstream.url,
      AUTH_URLS: upstream.url,
      RATE_LIMIT_PER_USER: 2,
      RATE_LIMIT_PER_ADDRESS_SIGNED_IN: 5,
      RATE_LIMIT_WINDOW: 60,
    },
    { auth: acceptUserTokens },
  );
  try {
    const as = (user: string, path = '/main/v1/posts') =>
      fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer user-${user}` } });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await as('runaway')).status);
    assert.deepEqual(statuses, [200, 200, 429, 429, 429, 429]);
    // Three left for the rest of the office: a path under no service counts too.
    const others = [(await as('a')).status, (await as('b', '/nowhere')).status];
    others.push((await as('c')).status);
    assert.deepEqual(others, [200, 404, 200]);
    await tooMany(await as('d'), 5);
  } finally {
    await gateway.app.close();
  }
});
