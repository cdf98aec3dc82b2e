import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { request, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import type { App } from '@platform/http';
import { type RawAnswer, startNginx, type TestNginx } from '@platform/testing';
import {
  closeAtEnd,
  deadUrl,
  echo,
  json,
  type Problem,
  rawGet,
  startGateway,
  startUpstream,
  type Upstream,
} from './helpers.ts';
import {
  eventually,
  type RunningService,
  signUp,
  startAuthService,
  uploadAvatar,
} from './services.ts';

describe('through NGINX → gateway → services', () => {
  let auth: RunningService;
  let main: Upstream;
  let analytics: Upstream;
  let app: App;
  let nginx: TestNginx;
  let url: string;

  before(async () => {
    // NGINX asks auth again after 3 s instead of 10 minutes (the avatar removal test below).
    auth = await startAuthService({ AVATAR_EDGE_CACHE_SECONDS: '3' });
    // Echoes small requests; hashes the body of large ones; answers big JSON for gzip.
    main = await startUpstream((req, res) => {
      if (req.url === '/main/v1/cached') {
        // What main did before @platform/http's wire rules: a length on a 304.
        res.setHeader('etag', '"v1"');
        if (req.headers['if-none-match'] === '"v1"') res.writeHead(304, { 'content-length': '4' });
        return res.end(req.headers['if-none-match'] === '"v1"' ? undefined : '{"v":1}');
      }
      if (req.url === '/main/v1/big') {
        res.setHeader('content-type', 'application/json');
        res.setHeader('etag', '"big.1"');
        return res.end(JSON.stringify({ items: Array.from({ length: 500 }, (_, i) => ({ i })) }));
      }
      if (req.method !== 'PUT') return echo('main')(req, res);
      const hash = createHash('sha256');
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        hash.update(chunk);
      });
      req.on('end', () => res.end(JSON.stringify({ size, sha256: hash.digest('hex') })));
    });
    analytics = await startUpstream(echo('analytics'));
    let gatewayUrl: string;
    ({ app, url: gatewayUrl } = await startGateway(
      // A body limit as large as the avatar's, so that an ordinary route can carry 5 MB here.
      {
        AUTH_URLS: auth.url,
        MAIN_URLS: main.url,
        ANALYTICS_URLS: analytics.url,
        BODY_LIMIT: 6 * 1024 * 1024,
        BODY_BUFFER_PER_ADDRESS: 16 * 1024 * 1024,
        BODY_BUFFER_ANONYMOUS_PER_ADDRESS: 16 * 1024 * 1024,
        // NGINX, as Compose's private ranges are there.
        TRUST_PROXY: '127.0.0.1',
      },
      { auth: 'real' },
    ));
    await eventually(async () => (await fetch(`${gatewayUrl}/health/ready`)).status === 200);
    nginx = await startNginx({ upstream: new URL(gatewayUrl).host });
    url = nginx.url;
  });

  after(async () => {
    await nginx?.stop();
    await app?.close();
    await main?.close();
    await analytics?.close();
    await auth?.stop();
  });

  test('all three prefixes route, anything else is the gateway’s 404', async () => {
    assert.equal((await json(await fetch(`${url}/main/v1/posts`))).service, 'main');
    assert.equal((await json(await fetch(`${url}/analytics/v1/reports`))).service, 'analytics');
    const jwks = await fetch(`${url}/accounts/v1/.well-known/jwks.json`);
    assert.equal(jwks.status, 200);
    assert.ok(Array.isArray((await json<{ keys: unknown[] }>(jwks)).keys));
    const missing = await fetch(`${url}/elsewhere`);
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get('content-type') ?? '', /problem\+json/);
  });

  test('the request id and the client address reach the service; NGINX logs the id', async () => {
    const response = await fetch(`${url}/main/v1/posts`, {
      headers: { 'x-request-id': 'through-nginx-1', 'x-forwarded-for': '203.0.113.7' },
    });
    assert.equal(response.headers.get('x-request-id'), 'through-nginx-1');
    const seen = await json(response);
    assert.equal(seen.headers['x-request-id'], 'through-nginx-1');
    // NGINX is the edge: the client's claim is replaced by the address NGINX saw.
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers['x-real-ip'], '127.0.0.1');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    await eventually(async () =>
      (await readFile(nginx.accessLog, 'utf8')).includes('"request_id":"through-nginx-1"'),
    );
    const line = (await readFile(nginx.accessLog, 'utf8'))
      .split('\n')
      .find((l) => l.includes('through-nginx-1'))!;
    assert.equal(JSON.parse(line).status, 200);
  });

  test('an event name . or .. goes as ?name= to the service unchanged; no path carries one', async () => {
    // analytics' DELETE and PUT /event-names?name=…: NGINX and the gateway leave a query alone.
    for (const name of ['.', '..']) {
      const path = `/analytics/v1/event-names?name=${name}`;
      const seen = await json<{ service: string; method: string; url: string }>(
        await fetch(`${url}${path}`, { method: 'DELETE' }),
      );
      assert.deepEqual([seen.service, seen.method, seen.url], ['analytics', 'DELETE', path]);
    }
    // As a path, encoded or not, it stays refused before any service (the dot-segment guard).
    for (const path of ['/analytics/v1/event-names/%2E%2E', '/analytics/v1/event-names/%2e']) {
      const refused = await rawGet(url, path);
      assert.equal(refused.status, 404, path);
      assert.doesNotMatch(refused.body, /"service":"analytics"/, path);
    }
  });

  test('sign-in works and bad tokens are refused at the edge', async () => {
    const user = await signUp(url);
    const me = await fetch(`${url}/accounts/v1/user`, {
      headers: { authorization: `Bearer ${user.accessToken}` },
    });
    assert.equal(me.status, 200);
    const bad = await fetch(`${url}/main/v1/posts`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(bad.status, 401);
    assert.equal((await json<Problem>(bad)).status, 401);
  });

  test('a gzipped body a route does not decode: the service’s 415 and its Accept-Encoding reach the client', async () => {
    const response = await fetch(`${url}/accounts/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ email: 'nobody@example.com', password: 'x' })),
    });
    assert.equal(response.status, 415, await response.clone().text());
    assert.equal(response.headers.get('accept-encoding'), 'identity');
    assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
    const problem = await json<Problem & { code: string }>(response);
    assert.equal(problem.code, 'unsupported_media_type');
    assert.equal(problem.request_id, response.headers.get('x-request-id'));
  });

  test('JSON is gzipped, and its ETag weakened', async () => {
    const response = await fetch(`${url}/main/v1/big`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(response.headers.get('content-encoding'), 'gzip');
    // Why main's If-Match takes the weak form of the current tag (contract-endpoints.test.ts):
    // behind NGINX a client never sees the strong one.
    assert.equal(response.headers.get('etag'), 'W/"big.1"');
    assert.equal((await json<{ items: unknown[] }>(response)).items.length, 500);
  });

  test('a 5 MB upload passes through both; past NGINX’s limit it is a problem+json 413', async () => {
    const body = randomBytes(5 * 1024 * 1024);
    const response = await fetch(`${url}/main/v1/upload`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body,
    });
    assert.equal(response.status, 200);
    const seen = await json<{ size: number; sha256: string }>(response);
    assert.equal(seen.size, body.length);
    assert.equal(seen.sha256, createHash('sha256').update(body).digest('hex'));

    const tooBig = await fetch(`${url}/main/v1/upload`, { method: 'PUT', body: randomBytes(7e6) });
    assert.equal(tooBig.status, 413);
    assert.match(tooBig.headers.get('content-type') ?? '', /problem\+json/);
    // Every problem carries its code, NGINX's own too (the contract's error format).
    assert.equal(((await tooBig.json()) as { code: string }).code, 'payload_too_large');
  });

  test('an uploaded avatar is served, then cached by NGINX', async () => {
    const user = await signUp(url);
    const path = await uploadAvatar(url, user.accessToken);
    const first = await fetch(`${url}${path}`);
    assert.equal(first.status, 200);
    assert.match(first.headers.get('content-type') ?? '', /^image\//);
    await first.arrayBuffer();
    const second = await fetch(`${url}${path}`);
    assert.equal(second.status, 200);
    assert.equal(second.headers.get('x-cache-status'), 'HIT');
    assert.match(second.headers.get('cache-control') ?? '', /max-age=31536000/);
  });

  test('a removed avatar leaves NGINX’s cache within AVATAR_EDGE_CACHE_SECONDS, though browsers keep it a year', async () => {
    const user = await signUp(url);
    const path = await uploadAvatar(url, user.accessToken);
    const first = await fetch(`${url}${path}`);
    assert.equal(first.status, 200);
    assert.match(first.headers.get('cache-control') ?? '', /max-age=31536000/);
    // NGINX's own instruction, never shown to a client.
    assert.equal(first.headers.get('x-accel-expires'), null);
    await first.arrayBuffer();
    const removed = await fetch(`${url}/accounts/v1/user/avatar`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${user.accessToken}` },
    });
    assert.equal(removed.status, 204, await removed.text());
    // Before, the cache served it for its 30 days (a year by its Cache-Control).
    await eventually(async () => {
      const res = await fetch(`${url}${path}`);
      await res.arrayBuffer();
      return res.status === 404;
    }, 10_000);
  });

  test('an avatar answered from NGINX’s cache carries this request’s id, not the one that filled it', async () => {
    const user = await signUp(url);
    const path = await uploadAvatar(url, user.accessToken);
    const first = await fetch(`${url}${path}`, { headers: { 'x-request-id': 'filled-the-cache' } });
    assert.equal(first.headers.get('x-request-id'), 'filled-the-cache');
    await first.arrayBuffer();
    const hit = await fetch(`${url}${path}`, { headers: { 'x-request-id': 'asked-later' } });
    assert.equal(hit.headers.get('x-cache-status'), 'HIT');
    assert.equal(hit.headers.get('x-request-id'), 'asked-later');
    await hit.arrayBuffer();
    const anonymous = await fetch(`${url}${path}`);
    assert.match(anonymous.headers.get('x-request-id') ?? '', /^[0-9a-f]{32}$/);
    await anonymous.arrayBuffer();
  });

  test('revalidation answers 304 with no body through both: a post and an avatar', async () => {
    for (let i = 0; i < 3; i++) {
      const post = await rawGet(url, '/main/v1/cached', { 'if-none-match': '"v1"' });
      assert.equal(post.status, 304);
      assert.equal(post.body, '');
      assert.equal(post.headers['content-length'], undefined);
    }
    const user = await signUp(url);
    // Without its version the avatar's URL is cached by NGINX but revalidated every time.
    const path = (await uploadAvatar(url, user.accessToken)).split('?')[0]!;
    const first = await rawGet(url, path);
    assert.equal(first.status, 200);
    const etag = String(first.headers.etag);
    for (let i = 0; i < 3; i++) {
      const again = await rawGet(url, path, { 'if-none-match': etag });
      assert.equal(again.status, 304);
      assert.equal(again.body, '');
      assert.equal(again.headers['content-length'], undefined);
    }
  });

  test('/metrics and /internal/* are not served to the public', async () => {
    for (const path of ['/metrics', '/metrics?format=text', '/internal/revocations']) {
      const response = await rawGet(url, path);
      assert.equal(response.status, 404, path);
      assert.match(String(response.headers['content-type']), /problem\+json/);
      assert.doesNotMatch(response.body, /gateway_|last_id/);
      assert.equal(JSON.parse(response.body).code, 'not_found', path);
    }
  });
});

describe('NGINX holds slow clients itself', () => {
  let seen = 0;
  let nginx: TestNginx;
  const { cleanup } = closeAtEnd();

  before(async () => {
    // Straight behind NGINX, so what NGINX passes on is counted here.
    const upstream = await startUpstream((req, res) => {
      seen++;
      req.resume();
      req.on('end', () => echo('main')(req, res));
    });
    cleanup(upstream.close);
    nginx = await startNginx({ upstream: new URL(upstream.url).host });
    cleanup(nginx.stop);
  });

  test('a body that stops halfway is never passed on; others are', async () => {
    const stalled = Array.from({ length: 20 }, () => halfSent(nginx.url));
    try {
      await Promise.all(stalled.map((s) => once(s, 'connect')));
      const response = await fetch(`${nginx.url}/main/v1/posts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"title":"whole"}',
      });
      assert.equal(response.status, 200);
      assert.equal(seen, 1);
    } finally {
      for (const socket of stalled) socket.destroy();
    }
  });

  test('one address gets 64 requests in progress at once, then a problem+json 429', async () => {
    const stalled = Array.from({ length: 64 }, () => halfSent(nginx.url, '127.0.0.9'));
    try {
      await Promise.all(stalled.map((s) => once(s, 'connect')));
      await eventually(async () => (await getFrom(nginx.url, '127.0.0.9')).status === 429);
      const refused = await getFrom(nginx.url, '127.0.0.9');
      assert.equal(refused.status, 429);
      assert.match(String(refused.headers['content-type']), /problem\+json/);
      assert.equal(JSON.parse(refused.body).code, 'rate_limited');
      assert.equal(refused.headers['retry-after'], '1');
      assert.equal((await getFrom(nginx.url, '127.0.0.10')).status, 200);
    } finally {
      for (const socket of stalled) socket.destroy();
    }
  });
});

/** A connection that sends headers promising 1000 bytes of body, then 10 of them, then nothing. */
function halfSent(base: string, localAddress?: string): Socket {
  const { hostname, port } = new URL(base);
  const socket = connect({
    host: hostname,
    port: Number(port),
    ...(localAddress ? { localAddress } : {}),
  });
  socket.on('error', () => {});
  socket.write(
    `POST /main/v1/posts HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n"${'x'.repeat(9)}`,
  );
  return socket;
}

function getFrom(base: string, localAddress: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request(`${base}/main/v1/posts`, { localAddress, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    },
  );
}

describe('NGINX’s own answers speak the API’s language', () => {
  let nginx: TestNginx;
  const { cleanup } = closeAtEnd();

  before(async () => {
    const upstream = await startUpstream(echo('main'));
    cleanup(upstream.close);
    nginx = await startNginx({ upstream: new URL(upstream.url).host });
    cleanup(nginx.stop);
  });

  /** A problem+json answer whose body parses, with the request id in its header and its body. */
  function assertProblem(answer: RawAnswer, status: number, code: string): string {
    assert.equal(answer.status, status, answer.body);
    assert.match(String(answer.headers['content-type']), /^application\/problem\+json/);
    const problem = JSON.parse(answer.body) as Problem & { code: string };
    assert.equal(problem.status, status);
    assert.equal(problem.code, code);
    assert.equal(answer.headers['x-request-id'], problem.request_id);
    return problem.request_id;
  }

  test('a caller’s X-Request-ID of another shape is replaced, never written into an answer', async () => {
    const injected = await exchange(
      nginx.url,
      'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Request-ID: a","status":200,"admin":"yes\r\nConnection: close\r\n\r\n',
    );
    assert.match(assertProblem(injected, 404, 'not_found'), /^[0-9a-f]{32}$/);
    const seen = await json(
      await fetch(`${nginx.url}/main/v1/posts`, { headers: { 'x-request-id': 'not sane!' } }),
    );
    assert.match(seen.headers['x-request-id']!, /^[0-9a-f]{32}$/);
    for (const id of ['client-1.a:b', '{run/42}+a@b']) {
      const sane = await fetch(`${nginx.url}/metrics`, { headers: { 'x-request-id': id } });
      assert.equal((await json<Problem>(sane)).request_id, id);
      assert.equal(sane.headers.get('x-request-id'), id);
    }
  });

  test('requests NGINX refuses itself are problem+json with a request id, as the gateway’s', async () => {
    const unreadable = await exchange(nginx.url, 'NOT HTTP AT ALL\r\n\r\n');
    assertProblem(unreadable, 400, 'bad_request');
    const smuggled = await exchange(
      nginx.url,
      'POST /main/v1/posts HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    );
    assertProblem(smuggled, 400, 'bad_request');
    const unknownCoding = await exchange(
      nginx.url,
      'POST /main/v1/posts HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n',
    );
    assertProblem(unknownCoding, 400, 'bad_request');
    const longUri = await exchange(
      nginx.url,
      `GET /main/v1/${'a'.repeat(9000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    assertProblem(longUri, 414, 'uri_too_long');
    const bigHeader = await exchange(
      nginx.url,
      `GET /main/v1/posts HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(9000)}\r\nConnection: close\r\n\r\n`,
    );
    assertProblem(bigHeader, 431, 'request_header_fields_too_large');
    const tooLarge = await exchange(
      nginx.url,
      'POST /main/v1/posts HTTP/1.1\r\nHost: x\r\nContent-Length: 7000000\r\nConnection: close\r\n\r\n',
    );
    assertProblem(tooLarge, 413, 'payload_too_large');
    assertProblem(
      await exchange(nginx.url, 'GET /internal/errors/400 HTTP/1.1\r\nHost: x\r\n\r\n'),
      404,
      'not_found',
    );
  });
});

describe('NGINX’s own refusals on analytics.js’s routes are readable from any origin', () => {
  let nginx: TestNginx;
  const { cleanup } = closeAtEnd();

  before(async () => {
    // No gateway behind it: every request that reaches the upstream is NGINX's 503.
    nginx = await startNginx({ upstream: new URL(await deadUrl()).host });
    cleanup(nginx.stop);
  });

  /** analytics.js's post: text/plain from a page's origin; `length` 7 MB is refused unread. */
  const post = (path: string, length = 2) =>
    exchange(
      nginx.url,
      `POST ${path} HTTP/1.1\r\nHost: x\r\nOrigin: https://shop.example\r\nContent-Type: text/plain\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n${length === 2 ? '{}' : ''}`,
    );

  test('their 503 and 413 carry Access-Control-Allow-Origin: *, the settings’ 503 too, no other route’s does', async () => {
    // Without it a page reads an opaque network error, not the answer, and analytics.js retries.
    for (const path of ['/analytics/v1/t', '/analytics/v1/b', '/analytics/v1/p/']) {
      const down = await post(path);
      assert.equal(down.status, 503, path);
      assert.equal(down.headers['access-control-allow-origin'], '*', path);
      assert.match(String(down.headers['access-control-expose-headers']), /retry-after/);
      const large = await post(path, 7_000_000);
      assert.equal(large.status, 413, path);
      assert.equal(large.headers['access-control-allow-origin'], '*', path);
    }
    // The settings analytics.js loads (GET, any key: a path parameter) likewise.
    for (const key of ['wk_page', 'wk_other']) {
      const path = `/analytics/v1/projects/${key}/settings`;
      const down = await exchange(
        nginx.url,
        `GET ${path} HTTP/1.1\r\nHost: x\r\nOrigin: https://shop.example\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(down.status, 503, path);
      assert.equal(down.headers['access-control-allow-origin'], '*', path);
      assert.match(String(down.headers['access-control-expose-headers']), /retry-after/);
    }
    for (const path of [
      '/analytics/v1/track',
      '/analytics/v1/tx',
      '/main/v1/posts',
      '/analytics/v1/projects/wk_page/settings/x',
      '/analytics/v1/write-keys',
    ]) {
      const down = await post(path);
      assert.equal(down.status, 503, path);
      assert.equal(down.headers['access-control-allow-origin'], undefined, path);
      assert.equal(down.headers['access-control-expose-headers'], undefined, path);
    }
  });
});

/** Writes `raw` as it is and reads the answer until NGINX closes the connection or the body is in. */
function exchange(base: string, raw: string): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let data = Buffer.alloc(0);
    const parse = (): RawAnswer | undefined => {
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const [statusLine, ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length'] ?? 0);
      if (data.length < end + 4 + length) return undefined;
      const body = data.subarray(end + 4, end + 4 + length).toString('utf8');
      return { status: Number(statusLine!.split(' ')[1]), headers, body };
    };
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const answer = parse();
      if (answer) {
        socket.destroy();
        resolve(answer);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`no whole answer: ${data.toString('latin1')}`)));
    socket.write(raw);
  });
}

describe('NGINX in front of two gateways', () => {
  const { cleanup } = closeAtEnd();
  /** Requests each kind of failing service received (health checks not counted). */
  const received = { reset: 0, slow: 0, ok: 0 };
  let nginx: TestNginx;
  let second: App;

  /** A service instance that counts what it gets and answers with `handler`. */
  const instance = (kind: keyof typeof received, handler: (res: ServerResponse) => void) =>
    startUpstream((req, res) => {
      if (req.url === '/health/ready') return res.end('{}');
      received[kind]++;
      handler(res);
    });

  before(async () => {
    // main: two instances that break every connection, so each gateway tries both, then 502s.
    // analytics: never answers (the gateway's 504); auth: answers.
    const resetting = await Promise.all(
      [1, 2].map(() => instance('reset', (res) => res.socket?.destroy())),
    );
    const slow = await instance('slow', () => {});
    const ok = await instance('ok', (res) => res.end('{"ok":true}'));
    for (const upstream of [...resetting, slow, ok]) cleanup(upstream.close);
    const env = {
      AUTH_URLS: ok.url,
      MAIN_URLS: resetting.map((u) => u.url).join(','),
      ANALYTICS_URLS: slow.url,
      UPSTREAM_TIMEOUT: 1,
      TRUST_PROXY: '127.0.0.1',
    };
    const gateways = [await startGateway(env), await startGateway(env)];
    for (const { app } of gateways) cleanup(() => app.close());
    second = gateways[1]!.app;
    nginx = await startNginx({ upstream: gateways.map((g) => new URL(g.url).host) });
    cleanup(nginx.stop);
  });

  test('a failing service gets one client GET only as often as one gateway tries it (NGINX does not resend the gateway’s 502)', async () => {
    for (let i = 1; i <= 4; i++) {
      const response = await rawGet(nginx.url, '/main/v1/posts');
      // The gateway's own answer, as it gave it: its problem, not NGINX's "gateway is unavailable".
      assert.equal(response.status, 502);
      assert.match(String(response.headers['content-type']), /problem\+json/);
      const problem = JSON.parse(response.body);
      assert.equal(problem.code, 'bad_gateway');
      assert.equal(problem.detail, 'The main service failed to answer.');
      // One gateway, which tried each of the two instances once: two, never four.
      assert.equal(received.reset, 2 * i, `after ${i} GET(s)`);
    }
  });

  test('the gateway’s 504 and 503 reach the client as they are, from one gateway', async () => {
    const late = await rawGet(nginx.url, '/analytics/v1/reports');
    assert.equal(late.status, 504);
    assert.equal(JSON.parse(late.body).detail, 'The analytics service did not answer in time.');
    assert.equal(received.slow, 1);
    // That instance is now out of the answering gateway; the other NGINX does not ask.
    const out = await rawGet(nginx.url, '/analytics/v1/reports');
    assert.ok([503, 504].includes(out.status), String(out.status));
    assert.match(JSON.parse(out.body).detail, /^The analytics service /);
    assert.ok(received.slow <= 2, `${received.slow} requests for two GETs`);
  });

  test('a gateway that is down is skipped: every request, a POST too, reaches the service once', async () => {
    await second.close();
    const before = received.ok;
    for (let i = 0; i < 6; i++) {
      const response = await rawGet(nginx.url, '/accounts/v1/user', {}, i % 2 ? 'POST' : 'GET');
      assert.equal(response.status, 200, response.body);
    }
    assert.equal(received.ok - before, 6);
    // NGINX did try the closed one first for some of them, and went on to the other.
    await eventually(async () => {
      const lines = (await readFile(nginx.accessLog, 'utf8')).split('\n').filter(Boolean);
      const tried = lines
        .map((l) => JSON.parse(l) as { uri: string; upstream_addr: string })
        .filter((l) => l.uri === '/accounts/v1/user');
      return tried.length === 6 && tried.some((l) => l.upstream_addr.includes(', '));
    });
  });
});

describe('NGINX in front of a gateway that is closing', () => {
  const { cleanup } = closeAtEnd();

  /**
   * A TCP relay between NGINX and the gateway: once armed, it holds every byte of the next
   * request that starts with `prefix` until released, so the request is on the wire, on a
   * connection NGINX kept alive, as the gateway's close begins (to the gateway the connection is
   * idle) — what a busy NGINX meets at every gateway replica's shutdown.
   */
  async function startRelay(target: string) {
    const [host, port] = [new URL(target).hostname, Number(new URL(target).port)];
    let armed: { prefix: string; held: () => void } | undefined;
    let holding: { upstream: Socket; rest: Buffer[] } | undefined;
    const sockets = new Set<Socket>();
    const server = createServer((client) => {
      const upstream = connect(port, host);
      sockets.add(client).add(upstream);
      client.on('data', (chunk: Buffer) => {
        if (holding?.upstream === upstream) holding.rest.push(chunk);
        else if (armed && chunk.toString('latin1').startsWith(armed.prefix)) {
          holding = { upstream, rest: [chunk] };
          armed.held();
          armed = undefined;
        } else upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => client.write(chunk));
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('close', end).on('error', end);
      upstream.on('close', end).on('error', end);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanup(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    );
    return {
      host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
      arm: (prefix: string) =>
        new Promise<void>((held) => {
          armed = { prefix, held };
        }),
      release() {
        const { upstream, rest } = holding!;
        holding = undefined;
        upstream.write(Buffer.concat(rest));
      },
    };
  }

  test('a POST NGINX writes on a kept-alive connection as the gateway’s close begins is answered, not a 502', async () => {
    let posts = 0;
    const service = await startUpstream((req, res) => {
      if (req.method === 'POST') posts++;
      req.resume();
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
    cleanup(service.close);
    const { app, url } = await startGateway({
      AUTH_URLS: service.url,
      MAIN_URLS: service.url,
      TRUST_PROXY: '127.0.0.1',
    });
    let closed: Promise<void> | undefined;
    cleanup(() => (closed ??= app.close()));
    const relay = await startRelay(url);
    const nginx = await startNginx({ upstream: relay.host });
    cleanup(nginx.stop);
    // NGINX now keeps a connection to the gateway alive (for its upstream keepalive_timeout).
    assert.equal((await rawGet(nginx.url, '/accounts/v1/user')).status, 200);
    const held = relay.arm('POST');
    const pending = rawGet(nginx.url, '/accounts/v1/user', {}, 'POST');
    await held;
    closed = app.close();
    await sleep(200);
    relay.release();
    // Before: the gateway refused what arrived once its close began (503, unmarked: nothing NGINX
    // acts on), or ended the connection under it (no grace), and NGINX, having written the POST,
    // passed the 503 on or answered 502 (it sends a written non-idempotent request nowhere else).
    const response = await pending;
    assert.equal(response.status, 200, response.body);
    assert.equal(posts, 1);
    assert.match(String(response.headers['content-type']), /json/);
    await closed;
  });
});
