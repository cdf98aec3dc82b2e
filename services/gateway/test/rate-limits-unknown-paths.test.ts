import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { echo, json, type Problem, startGateway, startUpstream, type Upstream } from './helpers.ts';

let upstream: Upstream;
let url: string;
let close: () => Promise<void>;

before(async () => {
  upstream = await startUpstream(echo('main'));
  const started = await startGateway({
    AUTH_URLS: upstream.url,
    MAIN_URLS: upstream.url,
    RATE_LIMIT_PER_ADDRESS: 3,
    RATE_LIMIT_WINDOW: 60,
  });
  url = started.url;
  close = () => started.app.close();
});

after(async () => {
  await close();
  await upstream.close();
});

test('paths under no service prefix count against the address limit, with RateLimit headers, then 429', async () => {
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
