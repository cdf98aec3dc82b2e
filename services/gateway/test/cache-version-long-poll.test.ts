import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { stopAll } from '@platform/launcher';
import { closeAtEnd, metricsOf, rawGet, startGateway, startUpstream } from './helpers.ts';
import { eventually, post, signUp, startAuthService, startService } from './services.ts';

// Real processes: two main replicas on one database. The gateway sends reads (and its version
// feed, a long poll held there) to the second; posts are written straight at the first, past it.
const { cleanup } = closeAtEnd();
const auth = await startAuthService();
cleanup(auth.stop);
const first = await startService('main', { AUTH_URL: auth.url });
cleanup(first.stop);
const second = await startService('main', { AUTH_URL: auth.url }, first);
cleanup(second.stop);
const gateway = await startGateway(
  { AUTH_URLS: auth.url, MAIN_URLS: second.url, RESPONSE_CACHE_FEED_WAIT: 3 },
  { auth: 'real' },
);
cleanup(() => gateway.app.close());

/** A metric of a main replica (no labels but `service`, or the given `held`). */
async function mainMetric(main: { url: string }, name: string, held?: string) {
  const text = await (await fetch(`${main.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && (held === undefined || l.includes(`held="${held}"`)));
  return Number(line?.split(' ').at(-1) ?? 0);
}

async function hits() {
  const text = await metricsOf(gateway.url);
  return Number(
    /^gateway_cache_lookups_total\{[^}]*result="hit"[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0,
  );
}

const titles = (answer: { body: string }) =>
  (JSON.parse(answer.body) as { items: { title: string }[] }).items.map((p) => p.title);

async function publish(base: string, token: string, title: string) {
  const res = await post(
    `${base}/main/v1/posts`,
    { title, body: 'text', status: 'published' },
    { authorization: `Bearer ${token}` },
  );
  assert.equal(res.status, 201);
}

test('a write at one replica wakes the poll held at the other: the cache is invalidated within 1 s', async () => {
  const user = await signUp(auth.url);
  await publish(first.url, user.accessToken, 'Old');
  const path = `/main/v1/posts?author=${user.id}&limit=5`;
  await eventually(async () => {
    const before = await hits();
    await rawGet(gateway.url, path);
    return (await hits()) > before;
  });
  await eventually(async () => (await mainMetric(second, 'main_cache_version_held_requests')) >= 1);
  // Past RESPONSE_CACHE_MAX_STALENESS_MS (1 s) without a new round, the held poll still confirms.
  await sleep(1500);
  let before = await hits();
  assert.deepEqual(titles(await rawGet(gateway.url, path)), ['Old']);
  assert.equal(await hits(), before + 1, 'answered from the kept page while the poll is held');

  await publish(first.url, user.accessToken, 'New');
  const wroteAt = Date.now();
  for (;;) {
    const askedAt = Date.now();
    const seen = titles(await rawGet(gateway.url, path));
    if (seen.join() === 'New,Old') break;
    assert.deepEqual(seen, ['Old']);
    assert.ok(askedAt - wroteAt < 1000, 'the old page still served 1 s after the write');
    await sleep(20);
  }
  // And it is kept again, under the new version.
  await eventually(async () => {
    before = await hits();
    await rawGet(gateway.url, path);
    return (await hits()) > before;
  });
});

test('a quiet service is asked about once per wait', async () => {
  await eventually(async () => (await mainMetric(second, 'main_cache_version_held_requests')) >= 1);
  const asked = async () =>
    (await mainMetric(second, 'main_cache_version_requests_total', 'true')) +
    (await mainMetric(second, 'main_cache_version_requests_total', 'false'));
  const start = await asked();
  // Keep the feed following (it stops after a minute without reads), without writing anything.
  const user = await signUp(auth.url);
  const path = `/main/v1/posts?author=${user.id}&limit=5`;
  for (let i = 0; i < 5; i++) {
    await rawGet(gateway.url, path);
    await sleep(1000);
  }
  // 5 s at a 3 s wait: 1 to 3 requests (polling every 250 ms would have been 20, every second 5).
  const count = (await asked()) - start;
  assert.ok(count >= 1 && count <= 4, `${count} requests in 5 s`);
});

test('a gateway closing with a poll held hangs up at once, freeing its place', async () => {
  const other = await startGateway(
    { AUTH_URLS: auth.url, MAIN_URLS: second.url, RESPONSE_CACHE_FEED_WAIT: 30 },
    { auth: 'real' },
  );
  await rawGet(other.url, '/main/v1/posts?limit=1');
  await rawGet(other.url, '/main/v1/posts?limit=1');
  const held = () => mainMetric(second, 'main_cache_version_held_requests');
  await eventually(async () => (await held()) >= 2);
  await other.app.close();
  // Well before its 30 s wait would have ended.
  await eventually(async () => (await held()) === 1);
});

test('SIGTERM with a poll held: main answers it and exits at once, cleanly', async () => {
  await eventually(async () => (await mainMetric(second, 'main_cache_version_held_requests')) >= 1);
  // Waiting out held polls would overrun shutdown's own grace: it would exit 1 or be killed.
  const killed = await stopAll([second.process], 20_000);
  assert.deepEqual(killed, []);
  assert.equal(second.process.child.exitCode, 0);
});

test('a service that ignores wait (an older one) is paced, not spun', async () => {
  let asked = 0;
  const upstream = await startUpstream((req, res) => {
    if (req.url === '/health/ready') return res.end('{}');
    if (req.url?.startsWith('/internal/cache-version')) {
      asked += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ version: '1' }));
    }
    res.writeHead(200, {
      'content-type': 'application/json',
      etag: '"a"',
      'cache-control': 'public, no-cache',
      vary: 'authorization',
    });
    res.end('{}');
  });
  cleanup(upstream.close);
  const old = await startGateway({
    AUTH_URLS: upstream.url,
    MAIN_URLS: upstream.url,
    RESPONSE_CACHE_FEED_MS: 100,
  });
  cleanup(() => old.app.close());
  await rawGet(old.url, '/main/v1/posts?limit=1');
  await eventually(async () => asked > 0);
  const start = asked;
  await sleep(1000);
  // One every 100 ms: about 10 (a spin would be thousands).
  assert.ok(asked - start <= 15, `${asked - start} requests in 1 s`);
  assert.ok(asked - start >= 3, `${asked - start} requests in 1 s`);
});
