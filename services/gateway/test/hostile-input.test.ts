import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  answersIn,
  exchangeRaw,
  type HostileOperation,
  sweepHostileInput,
} from '@platform/testing';
import { request } from 'undici';
import { closeAtEnd, metricsOf, startGateway } from './helpers.ts';
import { eventually, post, signUp, startAuthService, startService } from './services.ts';

/**
 * Hostile input through the real gateway to the real services, on one stack started once: every
 * operation of the three OpenAPI documents with the value probes of
 * packages/testing/src/hostile-input.ts (NUL, lone surrogates, huge and non-finite numbers, wrong
 * types, 1 MB strings and 50 000-deep JSON in each path parameter, and once per operation in its
 * query and its body, as the admin and anonymously where allowed), every probe kind on a few
 * operations of each service, and requests no well-behaved client sends, written byte for byte:
 * path tricks, absolute-form targets, folded and oversized headers, broken framing. Never a 5xx,
 * never a silent close, every 4xx a problem+json, and the stack still healthy afterwards.
 *
 * What it is for lies between the hops: the gateway reads the path (decoding, routing, labels),
 * the headers (tokens, forwarding, caching) and a body's size and framing, and carries the query
 * string and the body's bytes as they are, whatever field a value sits in (proxy/body.ts: bodies
 * are not parsed here). So a value goes through once per operation, the fields taking turns
 * (`spread`), and each path parameter gets every value; every value in every field, nested ones
 * included, is sent by the services' own sweeps in process, where it costs a fraction.
 */
const ADMIN = { email: 'hostile-gateway@example.com', password: 'hostile gateway passphrase' };

/** Operations given every probe: reads and writes of each service, JSON and multipart. */
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

/**
 * The values every other operation gets (each value in every place is sent in process by the
 * services' own sweeps): in each path parameter, and once in its query and in its body, NUL, a
 * lone surrogate, a non-finite, unsafe or fractional number, a wrong type, nothing, or 1 MB.
 */
const VALUES = [
  ...['%00', 'an escaped NUL', 'encoded lone surrogate', 'an escaped lone surrogate'],
  ...['1e309', '-1e309', '2^53 + 1', 'Infinity', '-Infinity', '"Infinity"', '"-Infinity"'],
  ...['-1.5', '1.5', 'a word', 'true', 'null', 'an object', 'an array', 'empty'],
  ...['1 MB', '1 MB string', '50 000-deep arrays'],
];
const VALUE_PROBE = new RegExp(
  ` (path|query|body) \\S+ (= (${VALUES.map((v) => v.replace(/[$^+.*]/g, '\\$&')).join('|')})|repeated)$`,
);

/** Segment's calls, signed with a write key (a session is a 401 before any input is read). */
const SEGMENT_CALL = /^\/analytics\/v1\/(batch|track|identify|page|screen|group|alias|import)$/;
/** analytics.js's calls, signed with a browser write key (the gateway lets any origin call them). */
const BROWSER_CALL = /^\/analytics\/v1\/[btipsga]$/;

/** A valid single Segment call, so that each probe's one hostile part is what gets refused. */
const message = { userId: 'u', event: 'hostile', properties: { a: 1 }, traits: { t: 1 } };

/** The gateway's body limit, and the avatar route's (services/auth/service.json). */
const bodyLimitOf = (op: HostileOperation) =>
  op.path.endsWith('/avatar') ? 5_308_416 : 1024 * 1024;

describe('hostile requests through the gateway', () => {
  const { cleanup } = closeAtEnd();
  let url: string;
  let host: string;
  let admin: AdminSession;
  let postId: string;
  /** Segment's calls take a write key, not a session: without one every probe was the same 401. */
  let writeKey: string;
  /** analytics.js's: a browser key taken from any origin (the probes send none). */
  let browserKey: string;
  const pathValues: Record<string, Record<string, string>> = {};

  before(async () => {
    const auth = await startAuthService({
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      // The sweep sends wrong current_password values too: throttling is not what it tests.
      LOGIN_MAX_FAILURES_PER_ADDRESS: '1000000',
      LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000000',
      MFA_MAX_FAILURES_PER_ACCOUNT: '1000000',
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
        // The services are ready before the gateway starts; a poll slowed down by a loaded
        // machine must not take one out in the middle of the sweep.
        HEALTH_INTERVAL_MS: 600_000,
        // Limits would hide what the services answer.
        RATE_LIMIT_PER_ADDRESS: 1_000_000,
        RATE_LIMIT_PER_USER: 1_000_000,
        RATE_LIMIT_PER_ADDRESS_SIGNED_IN: 1_000_000,
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

    admin = adminSession(url);
    const token = await admin.token();
    const create = async (path: string, body: unknown) => {
      const response = await post(`${url}${path}`, body, bearer(token));
      assert.equal(response.status, 201, await response.clone().text());
      return (await response.json()) as Record<string, { id: string }>;
    };
    const { category } = await create('/main/v1/categories', { name: 'Hostile' });
    const { post: existing } = await create('/main/v1/posts', { title: 'Hostile', body: 'text' });
    postId = existing!.id;
    const user = await signUp(url);
    pathValues['/main/v1/posts/'] = { id: postId };
    pathValues['/main/v1/categories/'] = { id: category!.id };
    pathValues['/accounts/v1/users/'] = { id: user.id };
    const created = await post(
      `${url}/analytics/v1/write-keys`,
      { name: 'hostile' },
      bearer(token),
    );
    assert.equal(created.status, 201, await created.clone().text());
    const { key } = (await created.json()) as { key: string };
    writeKey = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
    const page = await post(
      `${url}/analytics/v1/write-keys`,
      { name: 'hostile page', kind: 'browser', origins: ['*'] },
      bearer(token),
    );
    assert.equal(page.status, 201, await page.clone().text());
    const pageKey = ((await page.json()) as { key: string }).key;
    browserKey = `Basic ${Buffer.from(`${pageKey}:`).toString('base64')}`;
    pathValues['/analytics/v1/projects/'] = { writeKey: pageKey };
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
        headers: bearer(await admin.token()),
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

  // After the tests above: the sweep ends with the deletions, of the post among others.
  test('every operation of the three documents refuses hostile input cleanly', async () => {
    const other = await signUp(url);
    const over = { inject: viaHttp(url) };
    // The documents at once: auth spends its time hashing passwords, the others in SQL.
    const results = await Promise.all(
      ['accounts', 'main', 'analytics'].map(async (name) => {
        const doc = (await (await fetch(`${url}/${name}/v1/openapi.json`)).json()) as object;
        return sweepHostileInput(over, doc, {
          bodyLimit: bodyLimitOf,
          thorough: true,
          spread: true,
          anonymous: (probe) => VALUE_PROBE.test(probe.label),
          only: (probe, op) =>
            THROUGH.has(`${op.method} ${op.path}`) || VALUE_PROBE.test(probe.label),
          pathValues: (op) => {
            const prefix = Object.keys(pathValues).find((p) => op.path.startsWith(p));
            return prefix ? pathValues[prefix]! : {};
          },
          bodies: {
            'POST /analytics/v1/track-event': { event: 'hostile' },
            'POST /analytics/v1/batch': { batch: [{ type: 'track', userId: 'u', event: 'e' }] },
            ...Object.fromEntries(
              ['track', 'identify', 'page', 'screen'].map((c) => [
                `POST /analytics/v1/${c}`,
                message,
              ]),
            ),
            'POST /analytics/v1/group': { ...message, groupId: 'g' },
            'POST /analytics/v1/alias': { ...message, previousId: 'p' },
            'POST /analytics/v1/b': { batch: [{ type: 'track', userId: 'u', event: 'e' }] },
            ...Object.fromEntries(
              ['t', 'i', 'p', 's'].map((c) => [`POST /analytics/v1/${c}`, message]),
            ),
            'POST /analytics/v1/g': { ...message, groupId: 'g' },
            'POST /analytics/v1/a': { ...message, previousId: 'p' },
            'POST /accounts/v1/login': { email: other.email, password: 'wrong password' },
          },
          // A probe may log the admin out (POST /accounts/v1/logout): then a new session.
          authorization: async (op, stale) => {
            if (SEGMENT_CALL.test(op.path)) return writeKey;
            if (BROWSER_CALL.test(op.path)) return browserKey;
            if (stale) await admin.ended(stale.slice('Bearer '.length));
            return `Bearer ${await admin.token()}`;
          },
        });
      }),
    );
    const sent = results.reduce((sum, r) => sum + r.sent, 0);
    const faults = results.flatMap((r) => r.faults);
    assert.ok(sent > 2000, `only ${sent} probes`);
    assert.equal(
      faults.length,
      0,
      `${faults.length} of ${sent} failed:\n${faults.slice(0, 80).join('\n')}`,
    );
    assert.equal((await fetch(`${url}/health`)).status, 200);
  });

  test('NUL, lone surrogates, bad escapes and non-finite numbers are 400s naming the field', async () => {
    const cases: [string, string, string | undefined, string][] = [
      ['GET', '/main/v1/posts?limit=Infinity', undefined, 'limit'],
      ['GET', '/main/v1/posts?limit=-Infinity', undefined, 'limit'],
      ['GET', '/main/v1/posts?limit=1e400', undefined, 'limit'],
      ['GET', '/main/v1/posts?q=a%00b', undefined, 'q'],
      ['GET', '/main/v1/posts?category=a%ED%A0%80', undefined, 'category'],
      [
        'GET',
        '/main/v1/posts?published_after=%2B275760-09-13T00:00:00Z',
        undefined,
        'published_after',
      ],
      ['GET', '/main/v1/posts/a%00b', undefined, 'id'],
      // The gateway refuses a path that does not decode before it knows the service's names.
      ['GET', '/main/v1/posts/a%ED%A0%80', undefined, 'path'],
      ['POST', '/main/v1/posts', '{"title":"a\\u0000b","body":"text"}', 'title'],
      ['POST', '/main/v1/posts', '{"title":"t","body":"a\\ud800b"}', 'body'],
      ['GET', '/accounts/v1/users?q=a%00b', undefined, 'q'],
      ['GET', '/accounts/v1/users?role=a%00b', undefined, 'role'],
      ['GET', '/accounts/v1/users?limit=Infinity', undefined, 'limit'],
      ['PATCH', '/accounts/v1/user', '{"bio":"a\\u0000b"}', 'bio'],
      ['GET', '/analytics/v1/user-activity?user_id=a%00b', undefined, 'user_id'],
      ['GET', '/analytics/v1/user-activity?limit=-1e400', undefined, 'limit'],
      ['GET', '/analytics/v1/performance?service=a%00b', undefined, 'service'],
      [
        'POST',
        '/analytics/v1/track-event',
        '{"event":"e","properties":{"k":"\\u0000"}}',
        'properties.k',
      ],
    ];
    // A session of its own: the sweep may have logged the shared one out.
    const token = await adminSession(url).token();
    for (const [method, path, body, field] of cases) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { ...bearer(token), ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body } : {}),
      });
      const problem = (await response.json()) as { code: string; errors?: { field: string }[] };
      assert.equal(response.status, 400, `${method} ${path}: ${JSON.stringify(problem)}`);
      assert.equal(problem.code, 'validation_failed');
      assert.deepEqual(
        problem.errors?.map((e) => e.field),
        [field],
        `${method} ${path}: ${JSON.stringify(problem)}`,
      );
    }
  });

  test('a value outside an enum is one message listing the allowed values', async () => {
    const response = await fetch(`${url}/main/v1/posts?sort=newest`);
    assert.equal(response.status, 400);
    assert.deepEqual(((await response.json()) as { errors: unknown }).errors, [
      { field: 'sort', message: 'must be one of -published_at, published_at, -created_at, title' },
    ]);
  });
});

type AdminSession = ReturnType<typeof adminSession>;

/** The admin's token, signed in again when a request (a logout) has ended its session. */
function adminSession(base: string) {
  let current: Promise<string> | undefined;
  const login = async () => {
    const response = await post(`${base}/accounts/v1/login`, ADMIN);
    assert.equal(response.status, 200, await response.clone().text());
    return ((await response.json()) as { access_token: string }).access_token;
  };
  return {
    token: () => {
      current ??= login();
      return current;
    },
    /** After a 401: whether `token` no longer works, so that a new one is worth a retry. */
    async ended(token: string) {
      const me = await fetch(`${base}/accounts/v1/user`, { headers: bearer(token) });
      await me.arrayBuffer();
      if (me.status !== 401) return false;
      if ((await current) === token) current = login();
      return true;
    },
  };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

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
