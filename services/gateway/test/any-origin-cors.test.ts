import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { App } from '@platform/http';
import { deadUrl, echo, json, startGateway, startUpstream, type Upstream } from './helpers.ts';

/**
 * analytics.js's routes (manifest `edge`, `any_origin`) are called by pages on any origin with a
 * public key as Basic and text/plain JSON: the gateway answers their preflight and puts
 * `Access-Control-Allow-Origin: *` on their answers whatever CORS_ORIGINS says, which stays the
 * policy of every other route.
 */
const SHOP = 'https://shop.example';
let analytics: Upstream;
const gateways: App[] = [];
let listed: string; // CORS_ORIGINS names another origin
let none: string; // CORS_ORIGINS empty
let down: string; // analytics not answering
let limited: string; // two requests a minute per address

before(async () => {
  analytics = await startUpstream(echo('analytics'));
  const start = async (env: Record<string, string>) => {
    const { app, url } = await startGateway(env);
    gateways.push(app);
    return url;
  };
  listed = await start({ ANALYTICS_URLS: analytics.url, CORS_ORIGINS: 'https://app.example' });
  none = await start({ ANALYTICS_URLS: analytics.url });
  down = await start({ ANALYTICS_URLS: await deadUrl() });
  limited = await start({ ANALYTICS_URLS: analytics.url, RATE_LIMIT_PER_ADDRESS: '2' });
});

after(async () => {
  for (const app of gateways) await app.close();
  await analytics.close();
});

const basic = `Basic ${Buffer.from('wk_page:').toString('base64')}`;
const preflight = (url: string, path: string, origin = SHOP) =>
  fetch(`${url}${path}`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type,x-retry-count',
    },
  });
const send = (url: string, path: string, origin = SHOP) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { origin, authorization: basic, 'content-type': 'text/plain' },
    body: JSON.stringify({ writeKey: 'wk_page', event: 'E', userId: 'u' }),
  });

test('their preflight is answered for any origin, with the headers analytics.js sends', async () => {
  for (const url of [listed, none]) {
    for (const path of ['/t', '/p', '/i', '/g', '/a', '/s', '/b']) {
      const res = await preflight(url, `/analytics/v1${path}`);
      assert.equal(res.status, 204, path);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST/);
      const allowed = (res.headers.get('access-control-allow-headers') ?? '').split(/,\s*/);
      for (const h of ['authorization', 'content-type', 'x-retry-count']) {
        assert.ok(allowed.includes(h), `${path}: ${h}`);
      }
      assert.equal(res.headers.get('access-control-allow-credentials'), null);
    }
  }
});

test('their answers carry Access-Control-Allow-Origin: *, and Basic reaches the service', async () => {
  for (const url of [listed, none]) {
    const res = await send(url, '/analytics/v1/t');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('access-control-allow-credentials'), null);
    const seen = await json(res);
    assert.equal(seen.url, '/analytics/v1/t');
    assert.equal(seen.headers.authorization, basic);
    assert.equal(seen.headers.origin, SHOP);
  }
  // The gateway's own answers too: a page reads them instead of retrying a network error.
  const refused = await send(down, '/analytics/v1/b');
  assert.ok(refused.status >= 500, String(refused.status));
  assert.equal(refused.headers.get('access-control-allow-origin'), '*');
  // A 429 too, with the Retry-After analytics.js reads to wait before it sends again.
  let limit: Response | undefined;
  for (let i = 0; i < 4; i += 1) {
    const res = await send(limited, '/analytics/v1/t');
    await res.arrayBuffer();
    if (res.status === 429) limit = res;
  }
  assert.ok(limit, 'rate limited');
  assert.equal(limit.headers.get('access-control-allow-origin'), '*');
  assert.ok(Number(limit.headers.get('retry-after')) > 0);
  assert.match(limit.headers.get('access-control-expose-headers') ?? '', /retry-after/);
});

test('every other route keeps CORS_ORIGINS: the Segment routes and the rest of analytics', async () => {
  for (const path of ['/analytics/v1/track', '/analytics/v1/batch', '/analytics/v1/track-event']) {
    const pre = await preflight(listed, path);
    assert.equal(pre.headers.get('access-control-allow-origin'), null, path);
    const res = await send(listed, path);
    assert.equal(res.headers.get('access-control-allow-origin'), null, path);
    const pre2 = await preflight(none, path);
    assert.equal(pre2.headers.get('access-control-allow-origin'), null, path);
  }
  // The listed origin still gets its own, as before.
  const app = await preflight(listed, '/analytics/v1/track-event', 'https://app.example');
  assert.equal(app.headers.get('access-control-allow-origin'), 'https://app.example');
});

test('the settings analytics.js loads from its cdnURL: readable from any origin, the gateway’s own answers too', async () => {
  const settings = '/analytics/v1/projects/wk_page/settings';
  const load = (url: string) => fetch(`${url}${settings}`, { headers: { origin: SHOP } });
  for (const url of [listed, none]) {
    const res = await load(url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('access-control-allow-credentials'), null);
    assert.equal((await json(res)).url, settings);
    // Any key's: a path parameter, not one path.
    const other = await fetch(`${url}/analytics/v1/projects/wk_other/settings`, {
      headers: { origin: SHOP },
    });
    assert.equal(other.headers.get('access-control-allow-origin'), '*');
    await other.arrayBuffer();
    // A preflight (a page that adds a header) is answered for GET.
    const pre = await fetch(`${url}${settings}`, {
      method: 'OPTIONS',
      headers: { origin: SHOP, 'access-control-request-method': 'GET' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.match(pre.headers.get('access-control-allow-methods') ?? '', /\bGET\b/);
    assert.doesNotMatch(pre.headers.get('access-control-allow-methods') ?? '', /POST/);
  }
  // Analytics down: the gateway's 502/503 is readable, not an opaque network error.
  const refused = await load(down);
  assert.ok(refused.status >= 500, String(refused.status));
  assert.equal(refused.headers.get('access-control-allow-origin'), '*');
  await refused.arrayBuffer();
  // Its 429 too, with a readable Retry-After.
  let limit: Response | undefined;
  for (let i = 0; i < 4; i += 1) {
    const res = await load(limited);
    await res.arrayBuffer();
    if (res.status === 429) limit = res;
  }
  assert.ok(limit, 'rate limited');
  assert.equal(limit.headers.get('access-control-allow-origin'), '*');
  assert.match(limit.headers.get('access-control-expose-headers') ?? '', /retry-after/);
  // The rest of the prefix keeps CORS_ORIGINS.
  const write = await fetch(`${listed}/analytics/v1/write-keys`, { headers: { origin: SHOP } });
  assert.equal(write.headers.get('access-control-allow-origin'), null);
  await write.arrayBuffer();
});

test('Basic where no route takes it is a 401 that names a route taking it', async () => {
  // @segment/analytics-node left at its default path posts to /v1/batch, its key as Basic.
  for (const path of ['/v1/batch', '/analytics/v1/user-activity']) {
    const res = await fetch(`${none}${path}`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/json' },
      body: '{"batch":[]}',
    });
    assert.equal(res.status, 401, path);
    const { code, detail } = await json<{ code: string; detail: string }>(res);
    assert.equal(code, 'unauthorized');
    assert.match(detail, /POST \/analytics\/v1\/batch/, path);
  }
  // A scheme that is neither is told about Bearer alone.
  const other = await fetch(`${none}/main/v1/posts`, { headers: { authorization: 'Digest x' } });
  assert.equal(other.status, 401);
  assert.doesNotMatch((await json<{ detail: string }>(other)).detail, /Basic/);
});
