import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
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
