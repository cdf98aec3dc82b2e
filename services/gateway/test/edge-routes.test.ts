import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '@platform/config';
import { ConfigSchema } from '../src/config.ts';
import { edgeRoutes } from '../src/edge/edge-routes.ts';
import { closeAtEnd, echo, startGateway, startUpstream } from './helpers.ts';

const { cleanup } = closeAtEnd();

test("a service's edge routes get the stricter limit and the larger body their manifest asks for", async () => {
  const notes = await startUpstream(echo('notes'));
  cleanup(notes.close);
  const { app, url } = await startGateway({
    ROUTES: `notes:/notes=${notes.url}`,
    AUTH_URL: notes.url,
    EDGE_ROUTES: JSON.stringify([
      { method: 'POST', url: '/notes/v1/sign-in', limit: 'login' },
      { method: 'PUT', url: '/notes/v1/attachment', body_limit: 4096 },
    ]),
    RATE_LIMIT_LOGIN: 2,
    BODY_LIMIT: 1024,
  });
  cleanup(() => app.close());

  const post = (path: string) => fetch(`${url}${path}`, { method: 'POST', body: '{}' });
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await post('/notes/v1/sign-in')).status);
  assert.deepEqual(statuses, [200, 200, 429]);
  for (let i = 0; i < 3; i++) assert.equal((await post('/notes/v1/other')).status, 200);

  const put = (path: string, bytes: number) =>
    fetch(`${url}${path}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(bytes),
    });
  assert.equal((await put('/notes/v1/attachment', 3000)).status, 200);
  assert.equal((await put('/notes/v1/attachment', 5000)).status, 413);
  assert.equal((await put('/notes/v1/other', 3000)).status, 413);
});

test('a malformed EDGE_ROUTES, or a limit the gateway does not have, stops it with one line', () => {
  const refused = (EDGE_ROUTES: string, message: RegExp) =>
    assert.throws(
      () => edgeRoutes(loadConfig(ConfigSchema, { EDGE_ROUTES })),
      (error: Error) => error instanceof ConfigError && message.test(error.message),
    );
  refused('[{"method":', /^EDGE_ROUTES is invalid: expected a JSON array of \{method, url/);
  refused('[{"method":"POST"}]', /^EDGE_ROUTES is invalid: \/0 /);
  refused(
    '[{"method":"POST","url":"/notes/v1/x","limit":"sign-in"}]',
    /asks for limit sign-in; expected one of login, register, password-reset$/,
  );
  assert.deepEqual(edgeRoutes(loadConfig(ConfigSchema, {})), []);
});

test("HEAD of an edge GET route answers the GET's headers, Content-Length included, as any other route's does", async () => {
  const page = JSON.stringify({
    items: [{ id: '1', title: 'a page of items' }],
    next_cursor: null,
  });
  const notes = await startUpstream((req, res) => {
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(page),
      etag: '"v1"',
    });
    res.end(req.method === 'HEAD' ? undefined : page);
  });
  cleanup(notes.close);
  const { app, url } = await startGateway({
    ROUTES: `notes:/notes=${notes.url}`,
    AUTH_URL: notes.url,
    EDGE_ROUTES: JSON.stringify([{ method: 'GET', url: '/notes/v1/list', limit: 'login' }]),
  });
  cleanup(() => app.close());

  for (const path of ['/notes/v1/list', '/notes/v1/other']) {
    const get = await fetch(`${url}${path}`);
    assert.equal(await get.text(), page);
    const head = await fetch(`${url}${path}`, { method: 'HEAD' });
    assert.equal(head.status, 200, path);
    assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(page)), path);
    assert.equal(head.headers.get('etag'), '"v1"', path);
    assert.equal(await head.text(), '');
  }
  // Still the edge route: its stricter limit counts the HEAD too.
  const head = await fetch(`${url}/notes/v1/list`, { method: 'HEAD' });
  assert.equal(head.headers.get('ratelimit-limit'), '120');
});

test('a change with If-Match on an edge route whose URL also has an edge GET goes to the service as it came', async () => {
  const seen: string[] = [];
  const notes = await startUpstream((req, res) => {
    seen.push(`${req.method} ${req.headers['if-match'] ?? ''}`);
    res.writeHead(req.method === 'GET' ? 200 : 412, {
      'content-type': 'application/json',
      etag: '"v2"',
    });
    res.end(req.method === 'GET' ? '{"v":2}' : '{"code":"version_conflict"}');
  });
  cleanup(notes.close);
  const { app, url } = await startGateway({
    ROUTES: `notes:/notes=${notes.url}`,
    AUTH_URL: notes.url,
    EDGE_ROUTES: JSON.stringify([
      { method: 'GET', url: '/notes/v1/item', limit: 'login' },
      { method: 'PATCH', url: '/notes/v1/item', limit: 'login' },
    ]),
  });
  cleanup(() => app.close());
  for (const ifMatch of ['"v1"', '"v2"']) {
    seen.length = 0;
    const changed = await fetch(`${url}/notes/v1/item`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', 'if-match': ifMatch },
      body: '{}',
    });
    assert.equal(changed.status, 412);
    // One request, the change itself: no read of the gateway's own ahead of it.
    assert.deepEqual(seen, [`PATCH ${ifMatch}`]);
  }
});
