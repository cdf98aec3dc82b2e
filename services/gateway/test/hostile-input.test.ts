import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { answersIn, exchangeRaw, sweepHostileInput } from '@platform/testing';
import { request } from 'undici';
import { closeAtEnd, metricsOf, startGateway } from './helpers.ts';
import { eventually, post, signUp, startAuthService, startService } from './services.ts';

/**
 * The hostile-input probes of packages/testing/src/hostile-input.ts through the real gateway to
 * the real services, on a few operations of each (the services' own sweeps cover every one in
 * process), and requests no well-behaved client sends, written byte for byte: path tricks,
 * absolute-form targets, folded and oversized headers, broken framing. Never a 5xx, never a
 * silent close, every 4xx a problem+json, and the stack still healthy afterwards.
 */
const ADMIN = { email: 'hostile-gateway@example.com', password: 'hostile gateway passphrase' };

/** Operations probed through the gateway: reads and writes of each service, JSON and multipart. */
const THROUGH = new Set([
  'POST /accounts/v1/login',
  'PATCH /accounts/v1/user',
  'PUT /accounts/v1/user/avatar',
  'GET /accounts/v1/users',
  'GET /main/v1/posts',
  'POST /main/v1/posts',
  'PATCH /main/v1/posts/{id}',
  'POST /analytics/v1/track-event',
  'POST /analytics/v1/batch',
  'GET /analytics/v1/reports',
]);

describe('hostile requests through the gateway', () => {
  const { cleanup } = closeAtEnd();
  let url: string;
  let host: string;
  let token: string;
  let postId: string;

  before(async () => {
    const auth = await startAuthService({
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      LOGIN_MAX_FAILURES_PER_ADDRESS: '1000000',
      LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000000',
      LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS: '1000000',
      EMAIL_CHANGE_MAX_PER_ACCOUNT: '1000000',
      AVATAR_UPLOADS_PER_WINDOW: '1000000',
    });
    cleanup(auth.stop);
    const env = { AUTH_URL: auth.url };
    const [main, analytics] = await Promise.all([
      startService('main', env),
      startService('analytics', env),
    ]);
    cleanup(main.stop, analytics.stop);
    const gateway = await startGateway(
      {
        AUTH_URLS: auth.url,
        MAIN_URLS: main.url,
        ANALYTICS_URLS: analytics.url,
        // Performance samples go to the real analytics, which refuses what it cannot store.
        ANALYTICS_URL: analytics.url,
        SAMPLE_FLUSH_MS: 50,
        HEALTH_INTERVAL_MS: 600_000,
        RATE_LIMIT_PER_ADDRESS: 1_000_000,
        RATE_LIMIT_PER_USER: 1_000_000,
        RATE_LIMIT_LOGIN: 1_000_000,
        RATE_LIMIT_REGISTER: 1_000_000,
        RATE_LIMIT_PASSWORD_RESET: 1_000_000,
      },
      { auth: 'real' },
    );
    cleanup(() => gateway.app.close());
    url = gateway.url;
    host = new URL(url).host;
    await eventually(async () => (await fetch(`${url}/health`)).status === 200, 30_000);
    const login = await post(`${url}/accounts/v1/login`, ADMIN);
    assert.equal(login.status, 200, await login.clone().text());
    token = ((await login.json()) as { access_token: string }).access_token;
    const created = await post(
      `${url}/main/v1/posts`,
      { title: 'Hostile', body: 'text' },
      { authorization: `Bearer ${token}` },
    );
    assert.equal(created.status, 201, await created.clone().text());
    postId = ((await created.json()) as { post: { id: string } }).post.id;
  });

  test('the hostile probes of a few operations per service are refused cleanly', async () => {
    const other = await signUp(url);
    const over = { inject: viaHttp(url) };
    let faults: string[] = [];
    let sent = 0;
    for (const name of ['accounts', 'main', 'analytics']) {
      const doc = (await (await fetch(`${url}/${name}/v1/openapi.json`)).json()) as object;
      const result = await sweepHostileInput(over, doc, {
        bodyLimit: 6 * 1024 * 1024,
        skip: (op) => !THROUGH.has(`${op.method} ${op.path}`),
        pathValues: () => ({ id: postId }),
        bodies: {
          'POST /analytics/v1/track-event': { event: 'hostile' },
          'POST /analytics/v1/batch': { batch: [{ type: 'track', userId: 'u', event: 'e' }] },
          'POST /accounts/v1/login': { email: other.email, password: 'wrong password' },
        },
        authorization: async () => `Bearer ${token}`,
      });
      sent += result.sent;
      faults = [...faults, ...result.faults];
    }
    assert.ok(sent > 500, `only ${sent} probes`);
    assert.equal(
      faults.length,
      0,
      `${faults.length} of ${sent} failed:\n${faults.slice(0, 60).join('\n')}`,
    );
    assert.equal((await fetch(`${url}/health`)).status, 200);
  });

  test('a request with a long path is measured like any other: its sample loses no batch', async () => {
    const before = await samplesCounted(url);
    // Answered by the gateway itself (a bad token), so its sample is labelled from the path.
    const long = `/main/${'a.'.repeat(3000)}/${'b.'.repeat(3000)}`;
    const refused = await fetch(`${url}${long}`, { headers: { authorization: 'Bearer x' } });
    assert.equal(refused.status, 401);
    // A request whose sample shares the batch, on a route of its own.
    await (await fetch(`${url}/main/v1/posts/${postId}`)).arrayBuffer();
    const routes = async () => {
      const res = await fetch(`${url}/analytics/v1/performance?service=main`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = (await res.json()) as { series: { route: string }[] };
      return body.series.map((s) => s.route);
    };
    // Both stored, the long path under a bounded label.
    await eventually(async () => {
      const stored = await routes();
      return stored.includes('/main/:id/:id') && stored.includes('/main/v1/posts/:id');
    }, 30_000);
    assert.equal((await samplesCounted(url)).rejected, before.rejected);
  });

  test('requests written byte for byte get one clean answer each', async () => {
    const failures: string[] = [];
    for (const [label, make] of RAW_REQUESTS) {
      const text = await exchangeRaw(url, make(host), 3000);
      const answers = answersIn(text);
      const first = answers[0];
      if (!first) failures.push(`${label}: no answer (${JSON.stringify(text.slice(0, 100))})`);
      else if (first.status >= 500) failures.push(`${label}: ${first.status}`);
      else if (first.status >= 400 && !first.code) {
        failures.push(
          `${label}: ${first.status} without a problem+json code (${first.contentType})`,
        );
      } else if (
        answers.filter((a) => a.status >= 200).length > 1 &&
        !label.startsWith('pipelined')
      ) {
        failures.push(`${label}: ${answers.length} answers to one request`);
      }
    }
    assert.deepEqual(failures, []);
    assert.equal((await fetch(`${url}/health`)).status, 200);
  });
});

/** The gateway's count of performance samples sent to analytics and refused by it. */
async function samplesCounted(url: string) {
  const text = await metricsOf(url);
  const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
  return {
    sent: value(/^gateway_samples_sent_total(?:\{[^}]*\})? (\d+)/m),
    rejected: value(/^gateway_samples_dropped_total\{[^}]*reason="rejected"[^}]*\} (\d+)/m),
  };
}

/** `inject` over HTTP, for the sweep: undici sends what it is given, content-length included. */
function viaHttp(base: string) {
  return async (options: {
    method: string;
    url: string;
    headers: Record<string, string>;
    payload?: string | Buffer;
  }) => {
    const response = await request(`${base}${options.url}`, {
      method: options.method as 'GET',
      headers: options.headers,
      ...(options.payload !== undefined ? { body: options.payload } : {}),
    });
    return {
      statusCode: response.statusCode,
      headers: response.headers as Record<string, unknown>,
      body: await response.body.text(),
    };
  };
}

const close = 'Connection: close\r\n\r\n';
const get =
  (target: string, extra = '') =>
  (h: string) =>
    `GET ${target} HTTP/1.1\r\nHost: ${h}\r\n${extra}${close}`;
const postJson = (target: string, extra: string, body: string) => (h: string) =>
  `POST ${target} HTTP/1.1\r\nHost: ${h}\r\nContent-Type: application/json\r\n${extra}${close}${body}`;

const RAW_REQUESTS: [string, (host: string) => string | Buffer][] = [
  ['dot segments across prefixes', get('/main/v1/../accounts/v1/user')],
  ['encoded dot segments', get('/accounts/%2e%2e/internal/revocations')],
  ['double-encoded dot segments', get('/accounts/%252e%252e/internal/revocations')],
  ['a double slash', get('//main/v1/posts')],
  ['an encoded slash in the prefix', get('/main%2fv1%2fposts')],
  ['an encoded slash in an id', get('/main/v1/posts/a%2fb')],
  ['backslashes', get('/main\\v1\\posts')],
  ['%zz in the path', get('/main/v1/posts/%zz')],
  ['%00 in the path', get('/main/v1/posts/%00')],
  ['%ff in the query', get('/main/v1/posts?q=%ff')],
  ['absolute form', get('http://evil.example/main/v1/posts')],
  ['absolute form to internal', get('http://evil.example/internal/cache-version')],
  ['absolute form with dot segments', get('http://x/main/v1/../../internal/cache-version')],
  ['asterisk form', get('*')],
  ['a 15 KB URL', get(`/analytics/v1/reports?type=${'a'.repeat(15_000)}`)],
  ['a 20 KB URL', get(`/main/v1/posts?q=${'a'.repeat(20_000)}`)],
  ['a folded header', get('/main/v1/posts', 'X-A: a\r\n b\r\n')],
  [
    '2500 headers',
    get('/main/v1/posts', Array.from({ length: 2500 }, (_, i) => `x-h${i}: 1\r\n`).join('')),
  ],
  ['a NUL in a header', get('/main/v1/posts', 'X-A: a\u0000b\r\n')],
  ['a raw NUL in the URL', get('/main/v1/posts?q=a\u0000b')],
  [
    'a latin-1 Authorization',
    (h) =>
      Buffer.from(
        `GET /accounts/v1/user HTTP/1.1\r\nHost: ${h}\r\nAuthorization: Bearer \u00ff\u00fe\r\n${close}`,
        'latin1',
      ),
  ],
  ['no Host', () => `GET /main/v1/posts HTTP/1.1\r\n${close}`],
  ['HTTP/1.0', () => 'GET /main/v1/posts HTTP/1.0\r\n\r\n'],
  [
    'an unknown Expect',
    postJson('/analytics/v1/track-event', 'Expect: teapot\r\nContent-Length: 2\r\n', '{}'),
  ],
  [
    'Expect: 100-continue',
    postJson(
      '/analytics/v1/track-event',
      'Expect: 100-continue\r\nContent-Length: 17\r\n',
      '{"event":"hello"}',
    ),
  ],
  ['CONNECT', () => 'CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n'],
  ['TRACE', (h) => `TRACE /main/v1/posts HTTP/1.1\r\nHost: ${h}\r\n${close}`],
  ['an unknown method', (h) => `BREW /main/v1/posts HTTP/1.1\r\nHost: ${h}\r\n${close}`],
  [
    'two content-lengths',
    postJson('/main/v1/posts', 'Content-Length: 2\r\nContent-Length: 3\r\n', '{}'),
  ],
  [
    'transfer-encoding and content-length',
    postJson(
      '/main/v1/posts',
      'Content-Length: 2\r\nTransfer-Encoding: chunked\r\n',
      '2\r\n{}\r\n0\r\n\r\n',
    ),
  ],
  [
    'a bad chunk size',
    postJson(
      '/analytics/v1/track-event',
      'Transfer-Encoding: chunked\r\n',
      'zz\r\n{}\r\n0\r\n\r\n',
    ),
  ],
  [
    'a huge content-length',
    postJson('/main/v1/posts', 'Content-Length: 99999999999999999999\r\n', ''),
  ],
  [
    'a content-length over the limit',
    postJson('/analytics/v1/track-event', 'Content-Length: 10000000000\r\n', '{}'),
  ],
  [
    'gzip that is not',
    postJson(
      '/analytics/v1/track-event',
      'Content-Encoding: gzip\r\nContent-Length: 4\r\n',
      'abcd',
    ),
  ],
  ['an HTTP/2 preface', () => 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
  [
    'a websocket upgrade',
    get(
      '/main/v1/posts',
      'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n',
    ),
  ],
  [
    'pipelined requests',
    (h) =>
      `GET /main/v1/tags HTTP/1.1\r\nHost: ${h}\r\n\r\nGET /main/v1/posts HTTP/1.1\r\nHost: ${h}\r\n${close}`,
  ],
];
