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
    RATE_LIMIT_PER_ADDRESS: 4,
    RATE_LIMIT_WINDOW: 60,
  });
  url = started.url;
  close = () => started.app.close();
});

after(async () => {
  await close();
  await upstream.close();
});

test('requests the edge refuses for their token count against the address limit, with RateLimit headers, then 429', async () => {
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
