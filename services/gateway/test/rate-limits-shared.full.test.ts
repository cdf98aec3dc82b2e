import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startRedis, type TestRedis } from '@platform/testing';
import { Redis } from 'ioredis';
import {
  acceptUserTokens,
  echo,
  metricsOf,
  startGateway,
  startUpstream,
  type Upstream,
} from './helpers.ts';

let redis: TestRedis;
let upstream: Upstream;
const gateways: { url: string; close(): Promise<void> }[] = [];

before(async () => {
  redis = await startRedis();
  upstream = await startUpstream(echo('main'));
  for (let i = 0; i < 2; i++) {
    const { app, url } = await startGateway({
      AUTH_URLS: upstream.url,
      MAIN_URLS: upstream.url,
      REDIS_URL: redis.url,
      RATE_LIMIT_PER_ADDRESS: 6,
    });
    gateways.push({ url, close: () => app.close() });
  }
});

// A replica made its Redis connection as it started, and until there was one a command failed at
// once and the limit was skipped: under CI's load a first request came first and went uncounted.
// The port opens once Redis answers (rate-limit-first-connection.test.ts).
test("each replica's first request is counted", async () => {
  const remaining: (string | null)[] = [];
  for (const gateway of gateways) {
    const response = await fetch(`${gateway.url}/main/v1/posts`);
    remaining.push(response.headers.get('ratelimit-remaining'));
  }
  assert.deepEqual(remaining, ['5', '4']);
  const client = new Redis(redis.url);
  await client.flushall();
  client.disconnect();
});

after(async () => {
  for (const gateway of gateways) await gateway.close();
  await upstream.close();
  await redis.stop();
});

test('two gateway replicas share one limit through Redis', async () => {
  const remaining: string[] = [];
  for (let i = 0; i < 6; i++) {
    const response = await fetch(`${gateways[i % 2]!.url}/main/v1/posts`);
    assert.equal(response.status, 200);
    remaining.push(response.headers.get('ratelimit-remaining') ?? '');
  }
  // One counter: each replica saw the other's requests.
  assert.deepEqual(remaining, ['5', '4', '3', '2', '1', '0']);
  for (const gateway of gateways) {
    const response = await fetch(`${gateway.url}/main/v1/posts`);
    assert.equal(response.status, 429);
    assert.ok(Number(response.headers.get('retry-after')) >= 1);
  }
});

test("one address's signed-in requests share one ceiling across replicas, apart from each user's", async () => {
  const replicas: { url: string; close(): Promise<void> }[] = [];
  for (let i = 0; i < 2; i++) {
    const { app, url } = await startGateway(
      {
        MAIN_URLS: upstream.url,
        REDIS_URL: redis.url,
        RATE_LIMIT_PER_USER: 100,
        RATE_LIMIT_PER_ADDRESS_SIGNED_IN: 4,
      },
      { auth: acceptUserTokens },
    );
    replicas.push({ url, close: () => app.close() });
  }
  try {
    const statuses: number[] = [];
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await fetch(`${replicas[i % 2]!.url}/main/v1/posts`, {
        headers: { authorization: `Bearer user-ceiling-${i}` },
      });
      statuses.push(response.status);
      remaining.push(response.headers.get('ratelimit-remaining'));
      if (response.status === 429) assert.ok(Number(response.headers.get('retry-after')) >= 1);
    }
    // Six users, one request each: the address's count, shared, is what runs out.
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
    assert.deepEqual(remaining, ['3', '2', '1', '0', '0', '0']);
    // Its keys name it, under the limits' namespace like the others.
    const client = new Redis(redis.url);
    try {
      assert.deepEqual(await client.keys('gateway:rate-limit:signed-in:*'), [
        'gateway:rate-limit:signed-in:127.0.0.1',
      ]);
    } finally {
      client.disconnect();
    }
  } finally {
    for (const replica of replicas) await replica.close();
  }
});

// A Redis that is down fails its commands at once and the limit is skipped; one that hangs (a
// slow command, a stalled fork, a network that drops packets without a reset) answered nothing,
// and every request through the gateway waited on it with no end.
test('a Redis that stops answering holds no request: the limit is skipped after a short wait', async () => {
  redis.pause();
  try {
    for (const gateway of gateways) {
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        const response = await fetch(`${gateway.url}/main/v1/posts`, {
          signal: AbortSignal.timeout(10_000),
        });
        // Past the limit of 6 from the test above: counted, these would be 429s.
        assert.equal(response.status, 200);
        assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
      }
    }
  } finally {
    redis.resume();
  }
  // Skipped limits are not silent: an operator sees the store failing (a slow Redis that answers
  // past the 250 ms keeps its connection and emits no error, so nothing else would say so).
  for (const gateway of gateways) {
    const metrics = await metricsOf(gateway.url);
    const failures = /^gateway_rate_limit_store_failures_total(?:\{[^}]*\})? (\d+)$/m.exec(
      metrics,
    )?.[1];
    assert.ok(Number(failures) >= 3, `store failures: ${failures}`);
  }
  // Answering again, Redis counts again: the shared counter is still spent.
  let status = 0;
  for (let i = 0; i < 50 && status !== 429; i++) {
    status = (await fetch(`${gateways[0]!.url}/main/v1/posts`)).status;
    if (status !== 429) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(status, 429);
});
