import assert from 'node:assert/strict';
import { once } from 'node:events';
import {
  type AddressInfo,
  createServer,
  connect as dial,
  type Server,
  type Socket,
} from 'node:net';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { tcpProxy } from '../src/tcp-proxy.ts';

/** A TCP server that answers every chunk with `<name>:<chunk>`; `hangUp` ends all its connections. */
async function echo(t: TestContext, name: string) {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => socket.write(`${name}:${chunk}`));
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const hangUp = () => {
    for (const s of sockets) s.destroy();
  };
  t.after(() => {
    hangUp();
    return new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hangUp };
}

/** A client of the proxy that keeps what it hears and whether it was closed. */
async function client(url: string) {
  const socket = dial(Number(new URL(url).port), '127.0.0.1');
  await once(socket, 'connect');
  const seen = { text: '', closed: false };
  socket.on('data', (chunk) => {
    seen.text += chunk;
  });
  socket.on('close', () => {
    seen.closed = true;
  });
  socket.on('error', () => {});
  return {
    seen,
    send(text: string) {
      socket.write(text);
    },
    end: () => socket.destroy(),
  };
}

async function eventually(check: () => boolean) {
  const start = Date.now();
  while (!check()) {
    assert.ok(Date.now() - start < 5000, 'not true within 5 s');
    await sleep(5);
  }
}

test('marked connections go silent (nothing passes, nothing closes); the others pass', async (t) => {
  const server = await echo(t, 'a');
  const proxy = await tcpProxy(server.url, {
    marks: (chunk, marked) => marked || chunk.includes('listen'),
  });
  t.after(() => proxy.close());
  const marked = await client(proxy.url);
  const plain = await client(proxy.url);
  t.after(() => {
    marked.end();
    plain.end();
  });
  await marked.send('listen');
  await eventually(() => marked.seen.text === 'a:listen');

  proxy.silence();
  await marked.send('more');
  await plain.send('hello');
  await eventually(() => plain.seen.text === 'a:hello');
  server.hangUp();
  await eventually(() => plain.seen.closed);
  await sleep(100);
  assert.equal(marked.seen.text, 'a:listen', 'a silent connection hears nothing');
  assert.equal(marked.seen.closed, false, 'and is not closed');

  // Marked after silence(): passes, unless silenced with `later`.
  const next = await client(proxy.url);
  t.after(() => next.end());
  await next.send('listen');
  await eventually(() => next.seen.text === 'a:listen');
  proxy.silence({ later: true });
  const last = await client(proxy.url);
  const other = await client(proxy.url);
  t.after(() => {
    last.end();
    other.end();
  });
  await last.send('listen');
  await other.send('hi');
  await eventually(() => other.seen.text === 'a:hi');
  await sleep(100);
  assert.equal(last.seen.text, '', 'marked from its first byte: silent from the start');
});

test('failOver leaves open connections silent and sends new ones to the other target', async (t) => {
  const first = await echo(t, 'first');
  const second = await echo(t, 'second');
  const proxy = await tcpProxy(first.url);
  t.after(() => proxy.close());
  const before = await client(proxy.url);
  t.after(() => before.end());
  await before.send('x');
  await eventually(() => before.seen.text === 'first:x');

  proxy.failOver(second.url);
  await before.send('y');
  const after = await client(proxy.url);
  t.after(() => after.end());
  await after.send('z');
  await eventually(() => after.seen.text === 'second:z');
  await sleep(100);
  assert.equal(before.seen.text, 'first:x');
  assert.equal(before.seen.closed, false);
});

test("fromServer filters the server's bytes per connection", async (t) => {
  const server = await echo(t, 'srv');
  const proxy = await tcpProxy(server.url, {
    fromServer: () => (chunk) => Buffer.from(chunk.toString().toUpperCase()),
  });
  t.after(() => proxy.close());
  const c = await client(proxy.url);
  t.after(() => c.end());
  await c.send('quiet');
  await eventually(() => c.seen.text === 'SRV:QUIET');
});
