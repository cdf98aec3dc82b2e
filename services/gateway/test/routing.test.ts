import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { App } from '@platform/http';
import {
  echo,
  json,
  type Problem,
  rawGet,
  type Seen,
  startGateway,
  startUpstream,
  type Upstream,
} from './helpers.ts';

describe('gateway routing', () => {
  const upstreams: Upstream[] = [];
  let app: App;
  let url: string;

  before(async () => {
    const [auth, main, analytics] = await Promise.all(
      ['auth', 'main', 'analytics'].map((name) => startUpstream(echo(name))),
    );
    upstreams.push(auth!, main!, analytics!);
    ({ app, url } = await startGateway({
      AUTH_URLS: auth!.url,
      MAIN_URLS: main!.url,
      ANALYTICS_URLS: analytics!.url,
    }));
  });

  after(async () => {
    await app.close();
    await Promise.all(upstreams.map((u) => u.close()));
  });

  for (const [path, service] of [
    ['/accounts/v1/user?expand=roles', 'auth'],
    ['/main/v1/posts?tag=a&tag=b', 'main'],
    ['/analytics/v1/reports', 'analytics'],
    ['/accounts', 'auth'],
  ] as const) {
    test(`${path} goes to ${service} unchanged`, async () => {
      const response = await fetch(`${url}${path}`);
      assert.equal(response.status, 200);
      const seen = await json(response);
      assert.equal(seen.service, service);
      assert.equal(seen.url, path);
    });
  }

  test('methods and JSON bodies pass through', async () => {
    const response = await fetch(`${url}/main/v1/posts/1`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'x' }),
    });
    const seen = await json(response);
    assert.equal(seen.method, 'PATCH');
    assert.equal(seen.headers['content-type'], 'application/json');
  });

  test('anything outside the prefixes (but GET /, which points to /docs) is a problem+json 404', async () => {
    for (const path of ['/internal/users', '/accountsx', '/health/upstream', '/mainframe/x']) {
      const response = await fetch(`${url}${path}`);
      assert.equal(response.status, 404, path);
      assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
      const problem = await json<Problem>(response);
      assert.equal(problem.status, 404);
      assert.ok(problem.request_id);
    }
  });

  test('dot segments cannot climb out of a prefix', async () => {
    for (const path of [
      '/accounts/../internal/users',
      '/accounts/%2e%2e/internal/users',
      '/accounts/%2E./internal',
      '/main/v1/..\\..\\internal',
      '/accounts/./v1/user',
    ]) {
      const response = await rawGet(url, path);
      assert.equal(response.status, 404, path);
      assert.match(String(response.headers['content-type']), /problem\+json/);
    }
  });

  test("the caller's request id reaches the service and comes back", async () => {
    const response = await fetch(`${url}/accounts/v1/user`, {
      headers: { 'x-request-id': 'abc-123' },
    });
    assert.equal(response.headers.get('x-request-id'), 'abc-123');
    const seen = await json(response);
    assert.equal(seen.headers['x-request-id'], 'abc-123');
  });

  test('a request id is made when the caller sends none, and forwarded', async () => {
    const response = await fetch(`${url}/main/v1/posts`);
    const id = response.headers.get('x-request-id');
    assert.ok(id);
    const seen = await json(response);
    assert.equal(seen.headers['x-request-id'], id);
  });

  test('forwarding headers tell the service who asked, and how', async () => {
    const response = await fetch(`${url}/accounts/v1/user`, {
      headers: { 'x-forwarded-for': '203.0.113.9' },
    });
    const seen = await json(response);
    // No proxy is trusted by default: the client's own claim is dropped.
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.equal(seen.headers['x-forwarded-host'], new URL(url).host);
  });

  test('internal identity and hop-by-hop headers never reach a service', async () => {
    const response = await rawGet(url, '/main/v1/posts', {
      'x-user-id': 'admin',
      'x-user-roles': 'admin',
      'x-service-token': 'guess',
      'x-internal-anything': '1',
      connection: 'keep-alive, x-custom-hop',
      'keep-alive': 'timeout=5',
      'x-custom-hop': 'dropped',
      'x-custom': 'kept',
    });
    assert.equal(response.status, 200);
    const seen = JSON.parse(response.body) as Seen;
    for (const name of [
      'x-user-id',
      'x-user-roles',
      'x-service-token',
      'x-internal-anything',
      'x-custom-hop',
      'keep-alive',
    ]) {
      assert.equal(seen.headers[name], undefined, name);
    }
    assert.equal(seen.headers['x-custom'], 'kept');
  });

  test('security headers are on every answer', async () => {
    const refused = { headers: { authorization: 'Bearer refused-by-the-stub' } };
    for (const [path, init] of [
      ['/main/v1/posts', {}],
      ['/nowhere', {}],
      ['/main/v1/posts', refused],
    ] as const) {
      const response = await fetch(`${url}${path}`, init);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(response.headers.get('x-frame-options'), 'DENY');
      assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    }
  });
});
