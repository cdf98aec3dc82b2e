import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { echo, json, metricsOf, type Problem, startGateway, startUpstream } from './helpers.ts';

/**
 * Answers the gateway gives before any route's limiter runs — a 401 for a bad token, its own 404
 * for a path under no service — still count against the per-address limit. Each test has a
 * gateway of its own, so each count starts at its limit.
 */
async function limitedGateway(t: TestContext, perAddress: number): Promise<string> {
  const upstream = await startUpstream(echo('main'));
  const started = await startGateway({
    AUTH_URLS: upstream.url,
    MAIN_URLS: upstream.url,
    RATE_LIMIT_PER_ADDRESS: perAddress,
    RATE_LIMIT_WINDOW: 60,
  });
  t.after(async () => {
    await started.app.close();
    await upstream.close();
  });
  return started.url;
}

test('requests the edge refuses for their token count against the address limit, with RateLimit headers, then 429', async (t) => {
  const url = await limitedGateway(t, 4);
  // The 401 came from an onRequest hook, before the limiter (preHandler) ran: such requests
  // were never counted nor answered with RateLimit-*, so a client could send them without end.
  const refused = (authorization: string) =>
    fetch(`${url}/main/v1/posts`, { headers: { authorization } });
  const first = await refused('Bearer not-a-token');
  assert.equal(first.status, 401);
  assert.equal(first.headers.get('ratelimit-limit'), '4');
  assert.equal(first.headers.get('ratelimit-remaining'), '3');
  assert.ok(Number(first.headers.get('ratelimit-reset')) > 0);
  const malformed = await refused('Token abc');
  assert.equal(malformed.status, 401);
  assert.equal(malformed.headers.get('ratelimit-remaining'), '2');
  assert.equal((await refused('Bearer not-a-token')).status, 401);
  // Anonymous requests from that address share the count.
  const anonymous = await fetch(`${url}/main/v1/posts`);
  assert.equal(anonymous.status, 200);
  assert.equal(anonymous.headers.get('ratelimit-remaining'), '0');
  const over = await refused('Bearer not-a-token');
  assert.equal(over.status, 429);
  assert.ok(Number(over.headers.get('retry-after')) >= 1);
  assert.equal((await json<Problem & { code: string }>(over)).code, 'rate_limited');
});

test('a route that needs a token before its body (the avatar upload) counts a request without one against the address limit, then 429', async (t) => {
  const url = await limitedGateway(t, 2);
  // Its 401 came from the proxy's own onRequest check (requires_token), not from the token
  // check: a request with no Authorization at all was never counted there, nor given RateLimit-*.
  const upload = () => fetch(`${url}/accounts/v1/user/avatar`, { method: 'PUT', body: 'x' });
  const first = await upload();
  assert.equal(first.status, 401);
  assert.equal(first.headers.get('ratelimit-limit'), '2');
  assert.equal(first.headers.get('ratelimit-remaining'), '1');
  assert.equal((await upload()).headers.get('ratelimit-remaining'), '0');
  const over = await upload();
  assert.equal(over.status, 429);
  assert.ok(Number(over.headers.get('retry-after')) >= 1);
  assert.equal((await json<Problem & { code: string }>(over)).code, 'rate_limited');
});

test('a refused token past the address limit on a route with a stricter limit of its own is counted as the address limit’s 429, not that route’s', async (t) => {
  const url = await limitedGateway(t, 1);
  // PATCH /accounts/v1/user has the register limit; a bad token there is counted against the
  // address limit, and its 429 was recorded as limit="register", a limit it never reached.
  const change = () =>
    fetch(`${url}/accounts/v1/user`, {
      method: 'PATCH',
      headers: { authorization: 'Bearer not-a-token', 'content-type': 'application/json' },
      body: '{}',
    });
  assert.equal((await change()).status, 401);
  assert.equal((await change()).status, 429);
  const metrics = await metricsOf(url);
  assert.match(metrics, /gateway_rate_limited_total\{limit="address"[^}]*\} 1/);
  assert.doesNotMatch(metrics, /gateway_rate_limited_total\{limit="register"/);
});

test('paths under no service prefix count against the address limit, with RateLimit headers, then 429', async (t) => {
  const url = await limitedGateway(t, 3);
  // The gateway's own 404 ran no limiter: no RateLimit-* and no end to such requests.
  const first = await fetch(`${url}/nope`);
  assert.equal(first.status, 404);
  assert.equal(first.headers.get('ratelimit-limit'), '3');
  assert.equal(first.headers.get('ratelimit-remaining'), '2');
  assert.equal((await fetch(`${url}/wp-login.php`)).status, 404);
  assert.equal((await fetch(`${url}/main/v1/posts`)).headers.get('ratelimit-remaining'), '0');
  const over = await fetch(`${url}/nope`);
  assert.equal(over.status, 429);
  assert.ok(Number(over.headers.get('retry-after')) >= 1);
  assert.equal((await json<Problem & { code: string }>(over)).code, 'rate_limited');
  // Health is never limited.
  assert.equal((await fetch(`${url}/health`)).status, 200);
});
