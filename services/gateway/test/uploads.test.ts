import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import type { App } from '@platform/http';
import { acceptUserTokens, json, startGateway, startUpstream, type Upstream } from './helpers.ts';

const CHUNK = 1024 * 1024;
// 5 MiB: the largest avatar the gateway lets through, well past any JSON limit.
const CHUNKS = 5;
/** The avatar upload needs a token; the gateway refuses one without it before reading the body. */
const SIGNED_IN = { authorization: 'Bearer user-1' };

let upstream: Upstream;
let app: App;
let url: string;
let firstBytes: () => void = () => {};

before(async () => {
  // Hashes what arrives and reports the first bytes, so a test sees whether any came early.
  upstream = await startUpstream((req, res) => {
    const hash = createHash('sha256');
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size === 0) firstBytes();
      size += chunk.length;
      hash.update(chunk);
    });
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          size,
          sha256: hash.digest('hex'),
          type: req.headers['content-type'],
          length: req.headers['content-length'],
        }),
      );
    });
  });
  ({ app, url } = await startGateway({ AUTH_URLS: upstream.url }, { auth: acceptUserTokens }));
});

after(async () => {
  await app.close();
  await upstream.close();
});

test('a multi-megabyte upload reaches the service whole, once the client has sent all of it', async () => {
  let reached = false;
  firstBytes = () => {
    reached = true;
  };
  const body = randomBytes(CHUNK * CHUNKS);
  const type = 'multipart/form-data; boundary=----x';
  const req = request(`${url}/accounts/v1/user/avatar`, {
    method: 'PUT',
    headers: { ...SIGNED_IN, 'content-type': type, 'transfer-encoding': 'chunked' },
  });
  const response = once(req, 'response');
  req.write(body.subarray(0, CHUNK * (CHUNKS - 1)));
  // A client that stops here holds only its own socket, never a connection to the service.
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(reached, false, 'part of the body reached the service');
  req.end(body.subarray(CHUNK * (CHUNKS - 1)));

  const [res] = (await response) as [import('node:http').IncomingMessage];
  let text = '';
  for await (const chunk of res) text += chunk;
  assert.equal(res.statusCode, 200, text);
  const seen = JSON.parse(text);
  assert.equal(seen.size, body.length);
  assert.equal(seen.sha256, createHash('sha256').update(body).digest('hex'));
  assert.equal(seen.type, type);
  assert.equal(seen.length, String(body.length));
});

test('a JSON body within the limit passes; one past it is 413 before the service sees it', async () => {
  const small = await fetch(`${url}/accounts/v1/anything`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: `"${'x'.repeat(200 * 1024)}"`,
  });
  assert.equal(small.status, 200);
  assert.equal((await json<{ size: number }>(small)).size, 200 * 1024 + 2);

  let reached = false;
  firstBytes = () => {
    reached = true;
  };
  const big = await fetch(`${url}/accounts/v1/anything`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: `"${'x'.repeat(2 * 1024 * 1024)}"`,
  });
  assert.equal(big.status, 413);
  assert.match(big.headers.get('content-type') ?? '', /problem\+json/);
  assert.equal(reached, false);
});

test('an avatar upload past its limit is 413, also when sent chunked', async () => {
  const body = randomBytes(6 * CHUNK);
  const declared = await fetch(`${url}/accounts/v1/user/avatar`, {
    method: 'PUT',
    headers: { ...SIGNED_IN, 'content-type': 'multipart/form-data; boundary=x' },
    body,
  });
  assert.equal(declared.status, 413);

  const chunked = await new Promise<number>((resolve, reject) => {
    const req = request(`${url}/accounts/v1/user/avatar`, {
      method: 'PUT',
      headers: {
        ...SIGNED_IN,
        'content-type': 'multipart/form-data; boundary=x',
        'transfer-encoding': 'chunked',
      },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    // The gateway may close the connection once it has answered; that is not a failure here.
    req.on('error', () => {});
    for (let i = 0; i < 6; i++) req.write(body.subarray(i * CHUNK, (i + 1) * CHUNK));
    req.end();
    setTimeout(() => reject(new Error('no answer')), 20_000).unref();
  });
  assert.equal(chunked, 413);
});

test('an avatar upload without a valid token is a 401 before any of its body is read', async () => {
  let reached = false;
  firstBytes = () => {
    reached = true;
  };
  for (const headers of [{}, { authorization: 'Bearer forged' }]) {
    const answer = await new Promise<number>((resolve, reject) => {
      const req = request(`${url}/accounts/v1/user/avatar`, {
        method: 'PUT',
        headers: { ...headers, 'content-type': 'multipart/form-data; boundary=x' },
      });
      req.on('response', (res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', () => {});
      // Headers and a first megabyte of a declared five; the rest never comes.
      req.setHeader('content-length', String(CHUNKS * CHUNK));
      req.write(randomBytes(CHUNK));
      setTimeout(() => reject(new Error('no answer')), 20_000).unref();
    });
    assert.equal(answer, 401);
  }
  assert.equal(reached, false);
});
