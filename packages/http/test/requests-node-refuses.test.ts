import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { after, test } from 'node:test';
import { createApp, problems } from '../src/index.ts';

/**
 * Requests Node's HTTP server answers by itself, before any route (an empty 400 without Host, an
 * empty 417 for an unknown Expect, silence for CONNECT), and the parser's refusal of a body a
 * route has already answered: each is one problem+json answer, never an empty or a second one.
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

/** Sends `text` as is and reads until the server closes (or 5 s pass). */
function exchange(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(`${received}\n(still open)`);
    }, 5000);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.write(text);
  });
}

/** The answers in `text`, each status with its problem's code. */
function answers(text: string): { status: number; type?: string; code?: string }[] {
  return [
    ...text.matchAll(
      /HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n(\{[^\n]*?\})?(?=HTTP\/1\.1 |$)/g,
    ),
  ].map(([, status, head, body]) => ({
    status: Number(status),
    type: /content-type: ([^\r;]*)/i.exec(head ?? '')?.[1],
    code: body ? (JSON.parse(body) as { code?: string }).code : undefined,
  }));
}

test('an HTTP/1.1 request without Host is a 400 problem+json', async () => {
  const text = await exchange('GET /items HTTP/1.1\r\nConnection: close\r\n\r\n');
  assert.deepEqual(answers(text), [
    { status: 400, type: 'application/problem+json', code: 'bad_request' },
  ]);
  // HTTP/1.0 has no Host to require.
  const old = await exchange('GET /items HTTP/1.0\r\n\r\n');
  assert.equal(answers(old)[0]?.status, 200);
});

test('an Expect other than 100-continue is a 417 problem+json', async () => {
  const text = await exchange(
    'POST /items HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
  );
  assert.deepEqual(answers(text), [
    { status: 417, type: 'application/problem+json', code: 'expectation_failed' },
  ]);
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
