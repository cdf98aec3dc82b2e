import assert from 'node:assert/strict';
import { type AddressInfo, connect } from 'node:net';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { answersIn, exchangeRaw } from '@platform/testing';
import { createApp, problems } from '../src/index.ts';

/**
 * Requests Node's HTTP server answers by itself, before any route (an empty 400 without Host,
 * silence for CONNECT, a bare 417 for an unknown Expect, now ignored), and the parser's refusal
 * of a body a route has already answered: each is one problem+json answer, never an empty or a
 * second one.
 */
const app = await createApp({ name: 'demo', logLevel: 'silent' });
app.get('/items', async () => ({ items: [] }));
// Refused before its body is read, as a route whose caller is not signed in.
app.post(
  '/guarded',
  { onRequest: (_request, _reply, done) => done(problems.unauthorized()) },
  () => ({}),
);
await app.listen({ port: 0, host: '127.0.0.1' });
const port = (app.server.address() as AddressInfo).port;
after(() => app.close());

const exchange = (text: string) => exchangeRaw(`http://127.0.0.1:${port}`, text);

/** The answers in `text`, each status with its problem's code. */
const answers = (text: string) =>
  answersIn(text).map(({ status, contentType, code }) => ({
    status,
    type: contentType?.split(';')[0],
    code,
  }));

test('an HTTP/1.1 request without Host is a 400 problem+json', async () => {
  const text = await exchange('GET /items HTTP/1.1\r\nConnection: close\r\n\r\n');
  assert.deepEqual(answers(text), [
    { status: 400, type: 'application/problem+json', code: 'bad_request' },
  ]);
  // HTTP/1.0 has no Host to require.
  const old = await exchange('GET /items HTTP/1.0\r\n\r\n');
  assert.equal(answers(old)[0]?.status, 200);
});

test('an Expect other than 100-continue is ignored, as NGINX ignores it, not a bare 417', async () => {
  const text = await exchange(
    'POST /items HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
  );
  assert.equal(answers(text).length, 1);
  assert.notEqual(answers(text)[0]?.status, 417);
  assert.ok((answers(text)[0]?.status ?? 500) < 500);
});

test('CONNECT is a 405 problem+json, not a closed connection', async () => {
  const text = await exchange('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
  assert.deepEqual(answers(text), [
    { status: 405, type: 'application/problem+json', code: 'method_not_allowed' },
  ]);
});

test('a malformed body after the route has answered gets no second answer', async () => {
  const text = await exchange(
    'POST /guarded HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n' +
      'Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
  );
  assert.deepEqual(answers(text), [
    { status: 401, type: 'application/problem+json', code: 'unauthorized' },
  ]);
  // The server still answers.
  const port2 = await fetch(`http://127.0.0.1:${port}/items`);
  assert.equal(port2.status, 200);
});

/** What the server answers to `parts`, written one by one with a pause: separate reads. */
function exchangeInParts(parts: string[]): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    const timer = setTimeout(() => socket.destroy(), 5000);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    // A reset after the answer is the server closing on what it did not read.
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.on('connect', async () => {
      for (const part of parts) {
        if (socket.destroyed) return;
        socket.write(part);
        await sleep(40);
      }
    });
  });
}

test('a request line over the parser limit is a 414 problem, headers over it a 431, however the bytes arrive', async () => {
  const tooLong = { status: 414, type: 'application/problem+json', code: 'uri_too_long' };
  const tooLarge = {
    status: 431,
    type: 'application/problem+json',
    code: 'request_header_fields_too_large',
  };
  const longUrl = `GET /items?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: a\r\n\r\n`;
  const bigHeader = `GET /items HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;
  const cases: [string, string[], object[]][] = [
    ['a long URL', [longUrl], [tooLong]],
    ['a long URL, HTTP/1.0', [`GET /${'a'.repeat(20_000)} HTTP/1.0\r\n\r\n`], [tooLong]],
    [
      'a long URL cut across reads',
      [longUrl.slice(0, 10_000), longUrl.slice(10_000, 20_000), longUrl.slice(20_000)],
      [tooLong],
    ],
    [
      'a long URL after a request on the same connection',
      ['GET /items HTTP/1.1\r\nHost: a\r\n\r\n', longUrl],
      [{ status: 200, type: 'application/json', code: undefined }, tooLong],
    ],
    ['a big header', [bigHeader], [tooLarge]],
    [
      'a big header cut across reads',
      [bigHeader.slice(0, 10_000), bigHeader.slice(10_000, 20_000), bigHeader.slice(20_000)],
      [tooLarge],
    ],
    [
      'a long header name',
      [`GET /items HTTP/1.1\r\nHost: a\r\nX-${'a'.repeat(20_000)}: 1\r\n\r\n`],
      [tooLarge],
    ],
    [
      'a URL under the limit and headers that take it over',
      [
        `GET /items?q=${'a'.repeat(15_000)} HTTP/1.1\r\nHost: a\r\nX-B: ${'b'.repeat(3_000)}\r\n\r\n`,
      ],
      [tooLarge],
    ],
    [
      'many headers',
      [
        `GET /items HTTP/1.1\r\nHost: a\r\n${Array.from({ length: 400 }, (_, i) => `X-H${i}: ${'v'.repeat(40)}\r\n`).join('')}\r\n`,
      ],
      [tooLarge],
    ],
  ];
  for (const [name, parts, expected] of cases) {
    assert.deepEqual(answers(await exchangeInParts(parts)), expected, name);
  }
});
