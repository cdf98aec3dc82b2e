import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { type App, createApp } from '../src/index.ts';

/** Every service's own port, with no timeouts configured: what a slow client may hold. */
let app: App;

before(async () => {
  app = await createApp({ name: 'timeouts', logLevel: 'silent' });
  await app.listen({ port: 0, host: '127.0.0.1' });
});

after(() => app.close());

/** A raw connection that sends `text`, resolving with what came back once the server closed it. */
function closedAfter(port: number, text: string, withinMs: number) {
  return new Promise<{ received: string; ms: number }>((resolve, reject) => {
    const started = Date.now();
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk;
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(limit);
      resolve({ received, ms: Date.now() - started });
    });
    const limit = setTimeout(() => {
      socket.destroy();
      reject(new Error(`still open after ${withinMs} ms`));
    }, withinMs);
    socket.write(text);
  });
}

test('headers half sent are cut off with a 408 after 10 s (Node alone allows 60 s, checked every 30)', async () => {
  assert.equal(app.server.headersTimeout, 10_000);
  // On the wire with a headers timeout of 1 s, so the test does not wait 10: the 408 comes once
  // the timeout has passed, and is not left to Node's check every 30 s.
  const quick = await createApp({
    name: 'timeouts',
    logLevel: 'silent',
    clientTimeouts: { headersMs: 1000, requestMs: 60_000 },
  });
  after(() => quick.close());
  await quick.listen({ port: 0, host: '127.0.0.1' });
  const { port } = quick.server.address() as AddressInfo;
  // Generous: on a loaded machine the check may run late, but never near 30 s.
  const { received, ms } = await closedAfter(
    port,
    'GET /health/live HTTP/1.1\r\nhost: x\r\n',
    15_000,
  );
  assert.match(received, /^HTTP\/1\.1 408 /);
  assert.ok(ms >= 900, `closed after ${ms} ms`);
});

test('the whole request must arrive within 60 s (Node alone allows 300 s)', () => {
  assert.equal(app.server.requestTimeout, 60_000);
  assert.equal(app.server.headersTimeout, 10_000);
});
