import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { type App, createApp } from '../src/index.ts';

/** Every service's own port, with no timeouts configured: what a slow client may hold. */
let app: App;
let port: number;

before(async () => {
  app = await createApp({ name: 'timeouts', logLevel: 'silent' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
});

after(() => app.close());

/** A raw connection that sends `text`, resolving with what came back once the server closed it. */
function closedAfter(text: string, withinMs: number) {
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
  // Generous: on a loaded machine the 10 s check may run late, but never near a minute.
  const { received, ms } = await closedAfter('GET /health/live HTTP/1.1\r\nhost: x\r\n', 25_000);
  assert.match(received, /^HTTP\/1\.1 408 /);
  assert.ok(ms >= 9_000, `closed after ${ms} ms`);
});

test('the whole request must arrive within 60 s (Node alone allows 300 s)', () => {
  assert.equal(app.server.requestTimeout, 60_000);
  assert.equal(app.server.headersTimeout, 10_000);
});
