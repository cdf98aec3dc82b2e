import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import type { App } from '@platform/http';
import { startGateway, startUpstream, type Upstream } from './helpers.ts';

/** HTTP details the gateway's own proxy must get right, beside routing and headers. */
let upstream: Upstream;
let app: App;
let url: string;
let lastMethod = '';

before(async () => {
  upstream = await startUpstream((req, res) => {
    lastMethod = req.method ?? '';
    if (req.url === '/main/v1/cached') {
      res.statusCode = 304;
      res.setHeader('etag', '"v1"');
      return res.end();
    }
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
    });
    req.on('end', () => {
      res.setHeader('set-cookie', ['a=1; HttpOnly', 'b=2; HttpOnly']);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ size, expect: req.headers.expect ?? null }));
    });
  });
  ({ app, url } = await startGateway({ AUTH_URLS: upstream.url, MAIN_URLS: upstream.url }));
});

after(async () => {
  await app.close();
  await upstream.close();
});

test('a body sent with Expect: 100-continue (as curl does past 1 KB) goes through', async () => {
  const body = Buffer.alloc(4096, 'x');
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(`${url}/main/v1/posts`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': body.length,
        expect: '100-continue',
      },
    });
    req.on('continue', () => req.end(body));
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
  });
  assert.equal(answer.status, 200, answer.text);
  // Node answered the 100 itself; the service gets the body, not the expectation.
  assert.deepEqual(JSON.parse(answer.text), { size: 4096, expect: null });
});

test('repeated response headers stay repeated; a 304 passes with its ETag and no body', async () => {
  const response = await fetch(`${url}/main/v1/posts`);
  assert.deepEqual(response.headers.getSetCookie(), ['a=1; HttpOnly', 'b=2; HttpOnly']);
  await response.arrayBuffer();
  const cached = await fetch(`${url}/main/v1/cached`, { headers: { 'if-none-match': '"v1"' } });
  assert.equal(cached.status, 304);
  assert.equal(cached.headers.get('etag'), '"v1"');
  assert.equal(await cached.text(), '');
});

test('HEAD is forwarded as HEAD and answers without a body', async () => {
  const response = await fetch(`${url}/main/v1/posts`, { method: 'HEAD' });
  assert.equal(response.status, 200);
  assert.equal(await response.text(), '');
  assert.equal(lastMethod, 'HEAD');
});
