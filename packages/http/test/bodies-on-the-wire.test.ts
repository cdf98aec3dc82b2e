import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, mock, test } from 'node:test';
import { sendBodyRepeatedly } from '@platform/testing';
import { Type } from 'typebox';
import { type App, createApp } from '../src/index.ts';

let app: App;
let url: string;

before(async () => {
  app = await createApp({ name: 'wire', logLevel: 'silent', bodyLimit: 1024 });
  app.get(
    '/things/:id',
    { schema: { response: { 200: Type.Object({ id: Type.String() }), 304: Type.Null() } } },
    async (request, reply) => {
      reply.header('etag', '"v1"');
      if (request.headers['if-none-match'] === '"v1"') return reply.code(304).send(null);
      return { id: (request.params as { id: string }).id };
    },
  );
  // No response schema: the route's payload reaches the wire rules as it was sent.
  app.delete('/things/:id', async (_r, reply) => reply.code(204).send('ignored'));
  app.post('/things', async (request) => request.body);
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

after(() => app.close());

describe('answers without a body', () => {
  test('a 304 sent with null carries no body and no content-length', async () => {
    const res = await app.inject({ url: '/things/a', headers: { 'if-none-match': '"v1"' } });
    assert.equal(res.statusCode, 304);
    assert.equal(res.body, '');
    assert.equal(res.headers['content-length'], undefined);
    assert.equal(res.headers.etag, '"v1"');
  });

  test('a HEAD that is not modified is the same 304, headers only (was a 500)', async () => {
    for (const send of ['inject', 'wire'] as const) {
      const res =
        send === 'inject'
          ? await app.inject({
              method: 'HEAD',
              url: '/things/a',
              headers: { 'if-none-match': '"v1"' },
            })
          : await fetch(`${url}/things/a`, {
              method: 'HEAD',
              headers: { 'if-none-match': '"v1"' },
            }).then((r) => ({
              statusCode: r.status,
              headers: Object.fromEntries(r.headers),
              body: '',
            }));
      assert.equal(res.statusCode, 304, send);
      assert.equal(res.body, '');
      assert.equal(res.headers['content-length'], undefined);
      assert.equal(res.headers.etag, '"v1"');
    }
    const modified = await app.inject({ method: 'HEAD', url: '/things/a' });
    assert.equal(modified.statusCode, 200);
    assert.equal(modified.headers['content-length'], String('{"id":"a"}'.length));
  });

  test('a 204 sent with a payload carries none', async () => {
    const res = await app.inject({ method: 'DELETE', url: '/things/a' });
    assert.equal(res.statusCode, 204);
    assert.equal(res.body, '');
    assert.equal(res.headers['content-length'], undefined);
  });
});

describe('a body over the limit is a readable 413, never a reset connection', () => {
  const json = { 'content-type': 'application/json' };
  const big = Buffer.from(`"${'x'.repeat(2 * 1024 * 1024)}"`);

  const cases = [
    { name: 'with a content-length', status: 413, options: { headers: json } },
    { name: 'chunked', status: 413, options: { headers: json, chunked: true } },
    {
      name: 'from a client that asks for a close',
      status: 413,
      options: { headers: { ...json, connection: 'close' } },
    },
    {
      name: 'of a type no route takes',
      status: 415,
      options: { headers: { 'content-type': 'x/y' } },
    },
  ];
  for (const { name, status, options } of cases) {
    test(`2 MB of JSON ${name}, 20 times`, async () => {
      const answers = await sendBodyRepeatedly(20, `${url}/things`, big, options);
      for (const answer of answers) {
        assert.equal(answer.status, status);
        assert.match(String(answer.headers['content-type']), /problem\+json/);
        assert.equal(JSON.parse(answer.body).status, status);
      }
    });
  }

  test('a body within the limit still works on the same kind of connection', async () => {
    const [answer] = await sendBodyRepeatedly(1, `${url}/things`, Buffer.from('{"a":1}'), {
      headers: json,
    });
    assert.equal(answer!.status, 200);
    assert.deepEqual(JSON.parse(answer!.body), { a: 1 });
  });
});

test('an injected request refused for its size leaves nothing behind to fail later', async () => {
  // app.inject's socket has no destroy(); the drain's idle timer (5 s) must not be armed for it.
  const failures: unknown[] = [];
  const record = (error: unknown) => failures.push(error);
  process.on('uncaughtException', record);
  // The clock moved past the idle timer instead of waiting 5 s for it: a timer armed for this
  // request runs inside tick() and throws there.
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const res = await app.inject({
      method: 'POST',
      url: '/things',
      headers: { 'content-type': 'application/json' },
      // Sent as a stream, as multipart uploads are: the refusal comes before it is all read.
      payload: Readable.from([
        Buffer.from('{"text":"'),
        Buffer.alloc(64 * 1024, 120),
        Buffer.from('"}'),
      ]),
    });
    assert.equal(res.statusCode, 413);
    mock.timers.tick(5500);
    assert.deepEqual(failures, []);
  } finally {
    mock.timers.reset();
    process.off('uncaughtException', record);
  }
});

test('refused bodies on one keep-alive connection leave no listener behind on its socket', async () => {
  // Each refusal drained a body and added a `close` listener to the socket that was only removed
  // when the socket closed: a long-lived connection (the gateway's pool) gathered one a request.
  const sockets: import('node:net').Socket[] = [];
  const track = (socket: import('node:net').Socket) => sockets.push(socket);
  app.server.on('connection', track);
  const { connect } = await import('node:net');
  const { port } = app.server.address() as AddressInfo;
  const client = connect(port, '127.0.0.1');
  try {
    await new Promise((resolve) => client.once('connect', resolve));
    let received = '';
    client.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    const waitFor = async (n: number) => {
      while ((received.match(/HTTP\/1\.1 415/g) ?? []).length < n) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    const closeListeners = [] as number[];
    for (let i = 1; i <= 15; i++) {
      // Headers and part of the body: the 415 is sent before the rest arrives.
      client.write(
        'POST /things HTTP/1.1\r\nhost: x\r\ncontent-type: x/y\r\ncontent-length: 100\r\n\r\n' +
          'a'.repeat(10),
      );
      await waitFor(i);
      // Counted while this body is still unread: every earlier one has ended (the parser reads
      // the next request only after the previous body), whatever the machine's load.
      closeListeners.push(sockets[0]!.listenerCount('close'));
      client.write('a'.repeat(90));
    }
    assert.equal(sockets.length, 1, 'the connection was kept');
    assert.equal(closeListeners.at(-1), closeListeners[0], `close listeners: ${closeListeners}`);
  } finally {
    app.server.off('connection', track);
    client.destroy();
  }
});
