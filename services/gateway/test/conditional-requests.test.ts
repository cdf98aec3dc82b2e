import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { closeAtEnd, rawGet, startUpstream } from './helpers.ts';
import { mainBehindGateway, post, type RunningService, signUp, uploadAvatar } from './services.ts';

/** A 304 is headers only: no body, and no content-length that promises one. */
function assertNotModified(answer: Awaited<ReturnType<typeof rawGet>>, etag: string) {
  assert.equal(answer.status, 304, answer.body);
  assert.equal(answer.body, '');
  assert.equal(answer.headers['content-length'], undefined);
  assert.equal(answer.headers.etag, etag);
}

/**
 * The real auth and main behind a gateway, started once for the two suites that use them (each
 * test signs up a user of its own) and stopped at the end of the file: a second stack of the
 * same settings cost two service starts.
 */
const stackCleanup = closeAtEnd().cleanup;
let realStack: ReturnType<typeof mainBehindGateway> | undefined;
const sharedStack = () => {
  realStack ??= mainBehindGateway(stackCleanup);
  return realStack;
};

describe('revalidation through the gateway to the real services', () => {
  let auth: RunningService;
  let main: RunningService;
  let url: string;

  before(async () => {
    ({ auth, main, url } = await sharedStack());
  });

  test("a post's ETag sent back in If-None-Match is a 304 with no body, again and again", async () => {
    const user = await signUp(url);
    const created = await post(
      `${url}/main/v1/posts`,
      { title: 'Revalidated', body: 'Cached by browsers.', status: 'published' },
      { authorization: `Bearer ${user.accessToken}` },
    );
    assert.equal(created.status, 201, await created.clone().text());
    const { post: made } = (await created.json()) as { post: { id: string } };
    const path = `/main/v1/posts/${made.id}`;
    const first = await rawGet(url, path);
    assert.equal(first.status, 200);
    const etag = String(first.headers.etag);
    // Several in a row: a 304 that broke its connection would fail the next one too.
    for (let i = 0; i < 3; i++) {
      for (const method of ['GET', 'HEAD']) {
        for (const base of [url, main.url]) {
          assertNotModified(await rawGet(base, path, { 'if-none-match': etag }, method), etag);
        }
      }
    }
    assert.equal((await rawGet(url, path, { 'if-none-match': '"stale"' })).status, 200);
    // RFC 9110's weak comparison: a weak tag, a list, or any version at all.
    for (const header of [`W/${etag}`, `"stale", ${etag}`, '*']) {
      assertNotModified(await rawGet(url, path, { 'if-none-match': header }), etag);
    }
  });

  test("an anonymous list page's ETag is a 304 with no body, until a post changes it", async () => {
    const user = await signUp(url);
    const write = { authorization: `Bearer ${user.accessToken}` };
    const path = '/main/v1/posts?limit=5';
    await post(`${url}/main/v1/posts`, { title: 'Listed', body: 'x', status: 'published' }, write);
    const first = await rawGet(url, path);
    assert.equal(first.status, 200);
    assert.equal(first.headers['cache-control'], 'public, no-cache');
    const etag = String(first.headers.etag);
    for (const method of ['GET', 'HEAD']) {
      for (const base of [url, main.url]) {
        assertNotModified(await rawGet(base, path, { 'if-none-match': etag }, method), etag);
      }
    }
    await post(`${url}/main/v1/posts`, { title: 'Newer', body: 'x', status: 'published' }, write);
    const changed = await rawGet(url, path, { 'if-none-match': etag });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.etag, etag);
    assert.equal(JSON.parse(changed.body).items[0].title, 'Newer');
  });

  test('an avatar revalidates with a 304 with no body', async () => {
    const user = await signUp(url);
    const path = (await uploadAvatar(url, user.accessToken)).split('?')[0]!;
    const first = await rawGet(url, path);
    assert.equal(first.status, 200);
    const etag = String(first.headers.etag);
    for (let i = 0; i < 3; i++) {
      for (const method of ['GET', 'HEAD']) {
        for (const base of [url, auth.url]) {
          assertNotModified(await rawGet(base, path, { 'if-none-match': etag }, method), etag);
        }
      }
    }
  });
});

describe('If-Match on a change to something read, through the gateway', () => {
  let url: string;

  before(async () => {
    ({ url } = await sharedStack());
  });

  const patchUser = (token: string, body: unknown, ifMatch: string, query = '') =>
    fetch(`${url}/accounts/v1/user${query}`, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'if-match': ifMatch,
      },
      body: JSON.stringify(body),
    });

  test("PATCH /user holds to the ETag the caller's GET gave, whatever the URL's query", async () => {
    const user = await signUp(url);
    const read = await rawGet(url, '/accounts/v1/user', {
      authorization: `Bearer ${user.accessToken}`,
    });
    assert.equal(read.status, 200);
    const etag = String(read.headers.etag);
    const changed = await patchUser(user.accessToken, { display_name: 'First' }, etag);
    assert.equal(changed.status, 200, await changed.clone().text());
    // The read made on the change's behalf is of the same URL, query and all: still held.
    for (const query of ['', '?', '?x=1', '?display_name=1']) {
      const stale = await patchUser(user.accessToken, { display_name: 'Stale' }, etag, query);
      assert.equal(stale.status, 412, `${query}: ${await stale.clone().text()}`);
    }
    const now = await rawGet(url, '/accounts/v1/user', {
      authorization: `Bearer ${user.accessToken}`,
    });
    assert.equal(
      (JSON.parse(now.body) as { user: { display_name: string } }).user.display_name,
      'First',
    );
    // NGINX's gzip weakens the tag the client holds: still the same version.
    const weak = await patchUser(
      user.accessToken,
      { display_name: 'Second' },
      `W/${String(now.headers.etag).replace(/^W\//, '')}`,
    );
    assert.equal(weak.status, 200, await weak.clone().text());
  });
});

describe('answers without a body from any upstream pass through', () => {
  let url: string;
  const { cleanup, gateway } = closeAtEnd();

  before(async () => {
    // What a careless service sends: a body length on answers that have no body.
    const upstream = await startUpstream((req, res) => {
      if (req.url === '/health/ready') return res.end('{}');
      res.setHeader('etag', '"v1"');
      if (req.url?.endsWith('/not-modified')) res.writeHead(304, { 'content-length': '4' });
      else if (req.url?.endsWith('/no-content')) res.writeHead(204, { 'content-length': '4' });
      else res.writeHead(200, { 'content-length': '11', 'content-type': 'text/plain' });
      res.end(req.method === 'HEAD' ? undefined : 'hello world');
    });
    cleanup(upstream.close);
    url = await gateway({ AUTH_URLS: upstream.url, MAIN_URLS: upstream.url });
  });

  test('a 304 and a 204 that declare a length are answered without one, never a 502', async () => {
    for (let i = 0; i < 3; i++) {
      assertNotModified(await rawGet(url, '/main/v1/not-modified'), '"v1"');
      const empty = await rawGet(url, '/main/v1/no-content', {}, 'DELETE');
      assert.equal(empty.status, 204);
      assert.equal(empty.body, '');
      assert.equal(empty.headers['content-length'], undefined);
    }
  });

  test("a HEAD keeps the length of the GET's body and has none itself", async () => {
    const head = await rawGet(url, '/main/v1/thing', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '11');
    assert.equal(head.body, '');
  });
});

describe('public answers are kept by the gateway and revalidated every time', () => {
  let url: string;
  let version = 1;
  const seen: { url: string; ifNoneMatch?: string; cookie?: string }[] = [];
  const { cleanup, gateway } = closeAtEnd();

  before(async () => {
    const upstream = await startUpstream((req, res) => {
      if (req.url === '/health/ready') return res.end('{}');
      const etag = `"v${version}"`;
      seen.push({
        url: req.url!,
        ifNoneMatch: req.headers['if-none-match'],
        cookie: req.headers.cookie,
      });
      const shared = req.url!.includes('public') ? 'public, no-cache' : 'private, no-cache';
      res.setHeader('etag', etag);
      res.setHeader('cache-control', shared);
      res.setHeader('vary', 'authorization');
      if (req.headers['if-none-match'] === etag) return res.writeHead(304).end();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ page: version }));
    });
    cleanup(upstream.close);
    url = await gateway({ AUTH_URLS: upstream.url, MAIN_URLS: upstream.url });
  });

  test('the service is asked with the kept ETag, and its 304 becomes the kept 200', async () => {
    const path = '/main/v1/public?limit=5';
    const first = await rawGet(url, path);
    assert.equal(first.status, 200);
    assert.equal(seen.at(-1)!.ifNoneMatch, undefined);
    for (let i = 0; i < 3; i++) {
      const again = await rawGet(url, path);
      assert.equal(again.status, 200);
      assert.deepEqual(JSON.parse(again.body), { page: 1 });
      assert.equal(again.headers.etag, '"v1"');
      assert.equal(again.headers['content-type'], 'application/json');
      assert.equal(seen.at(-1)!.ifNoneMatch, '"v1"');
    }
    // The client's own validator is the client's: its 304 is passed on, not filled in.
    const own = await rawGet(url, path, { 'if-none-match': '"v1"' });
    assert.equal(own.status, 304);
    assert.equal(own.body, '');

    version = 2;
    const changed = await rawGet(url, path);
    assert.equal(changed.status, 200);
    assert.deepEqual(JSON.parse(changed.body), { page: 2 });
    assert.equal((await rawGet(url, path)).headers.etag, '"v2"');
    assert.equal(seen.at(-1)!.ifNoneMatch, '"v2"');
  });

  test('private answers, and requests with cookies or tokens, are never kept or filled in', async () => {
    await rawGet(url, '/main/v1/private');
    await rawGet(url, '/main/v1/private');
    assert.equal(seen.at(-1)!.ifNoneMatch, undefined);
    await rawGet(url, '/main/v1/public?who=me');
    const signed = await rawGet(url, '/main/v1/public?who=me', { cookie: 'session=1' });
    assert.equal(signed.status, 200);
    assert.equal(seen.at(-1)!.cookie, 'session=1');
    assert.equal(seen.at(-1)!.ifNoneMatch, undefined);
  });
});
