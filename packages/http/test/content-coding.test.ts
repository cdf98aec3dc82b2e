import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, mock, test } from 'node:test';
import { Gunzip, gzipSync } from 'node:zlib';
import { type App, createApp, decodeContentCoding } from '../src/index.ts';

/**
 * A compressed body refused as too large once decoded stops being decoded: the rest of it is read
 * and dropped (wire.ts), not inflated. It was: Fastify's limit only stops listening, the refused
 * body was still read to its end through the decoder, so a few hundred KB on the wire made the
 * service inflate hundreds of MB after its 413 (a body that never ends, for ever).
 */
let app: App;
let port: number;
let inflated = 0;
const decoders = new Set<Gunzip>();

before(async () => {
  // Counts what every gunzip stream yields: the decoder is internal to the hook.
  const push = Gunzip.prototype.push;
  mock.method(Gunzip.prototype, 'push', function (this: Gunzip, chunk: Buffer | null) {
    decoders.add(this);
    if (chunk) inflated += chunk.length;
    return push.call(this, chunk);
  });
  app = await createApp({ name: 'coding', logLevel: 'silent', bodyLimit: 1024 });
  app.post('/in', { preParsing: decodeContentCoding }, async (request) => request.body);
  app.post('/plain', async (request) => ({ body: request.body ?? null }));
  app.get('/next', async () => ({ ok: true }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as { port: number }).port;
});

after(async () => {
  mock.restoreAll();
  await app.close();
});

/** Reads the socket until `done` says what came so far is enough. */
const until = (socket: Socket, done: (text: string) => boolean) =>
  new Promise<string>((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (done(text)) {
        socket.off('data', onData);
        resolve(text);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('close', () => resolve(text));
  });
const chunk = (bytes: Buffer) =>
  Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]);

test('past the limit once decoded, the rest of a gzipped body is dropped, not inflated', async () => {
  // ~256 MB of zeros in ~250 KB of gzip.
  const bomb = gzipSync(Buffer.alloc(256 << 20));
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(
    'POST /in HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n' +
      'content-encoding: gzip\r\ntransfer-encoding: chunked\r\n\r\n',
  );
  socket.write(chunk(bomb.subarray(0, 4096)));
  const refusal = await until(socket, (text) => text.includes('"status":413'));
  assert.match(refusal, /^HTTP\/1\.1 413 /);
  assert.match(refusal, /payload_too_large/);
  const before = inflated;

  // The rest of the body, then another request on the same connection: once that is answered,
  // the server has read every byte of the first.
  socket.write(chunk(bomb.subarray(4096)));
  socket.write('0\r\n\r\nGET /next HTTP/1.1\r\nhost: x\r\n\r\n');
  const next = await until(socket, (text) => text.includes('{"ok":true}'));
  assert.match(next, /^HTTP\/1\.1 200 /);
  socket.destroy();
  const after = inflated - before;
  // Before the fix: ~250 MB more (all but what was still queued in the decoder).
  assert.ok(after < 1 << 20, `${(after / 2 ** 20).toFixed(0)} MB inflated after the 413`);
});

test('bytes not valid gzip after a refused body are no error the process dies of', async () => {
  const crashes: unknown[] = [];
  const onUncaught = (error: unknown) => crashes.push(error);
  // The test runner turns an uncaught exception into a failure of its own; this records it.
  process.on('uncaughtException', onUncaught);
  try {
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      'POST /in HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n' +
        'content-encoding: gzip\r\ntransfer-encoding: chunked\r\n\r\n',
    );
    decoders.clear();
    socket.write(chunk(gzipSync(Buffer.alloc(4 << 20))));
    const refusal = await until(socket, (text) => text.includes('"status":413'));
    assert.match(refusal, /^HTTP\/1\.1 413 /);
    socket.write(chunk(Buffer.from('this is not gzip, and it follows the member')));
    socket.write('0\r\n\r\nGET /next HTTP/1.1\r\nhost: x\r\n\r\n');
    const next = await until(socket, (text) => text.includes('{"ok":true}'));
    assert.match(next, /^HTTP\/1\.1 200 /);
    socket.destroy();
    // Until the request's decoder is gone (it failed on those bytes, or was stopped before), then
    // one more turn of the loop: the error it passed on is emitted on the next tick.
    const decoder = [...decoders].at(-1) as Gunzip;
    if (!decoder.closed) await new Promise((resolve) => decoder.once('close', resolve));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(crashes, []);
  } finally {
    process.off('uncaughtException', onUncaught);
  }
});

test('a route that decodes no coding refuses a coded body with 415 and Accept-Encoding: identity', async () => {
  const body = JSON.stringify({ name: 'crème' });
  for (const coding of ['gzip', 'GZIP', 'br', 'deflate', 'zstd', 'compress', 'gzip, identity']) {
    const res = await app.inject({
      method: 'POST',
      url: '/plain',
      headers: { 'content-type': 'application/json', 'content-encoding': coding },
      payload: coding.includes('gzip') ? gzipSync(body) : body,
    });
    assert.equal(res.statusCode, 415, `${coding}: ${res.body}`);
    assert.equal(res.headers['accept-encoding'], 'identity', coding);
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    const problem = res.json();
    assert.equal(problem.code, 'unsupported_media_type', coding);
    assert.equal(problem.status, 415);
    assert.equal(problem.request_id, res.headers['x-request-id']);
    // The client's header is not written into the answer.
    assert.ok(!res.body.includes(coding), res.body);
  }
});

test('identity is no coding, and a coding on a request without a body is no matter', async () => {
  for (const coding of ['identity', 'Identity', ' identity , identity', '']) {
    const res = await app.inject({
      method: 'POST',
      url: '/plain',
      headers: { 'content-type': 'application/json', 'content-encoding': coding },
      payload: JSON.stringify({ name: 'crème' }),
    });
    assert.equal(res.statusCode, 200, `${JSON.stringify(coding)}: ${res.body}`);
    assert.deepEqual(res.json(), { body: { name: 'crème' } });
  }
  const get = await app.inject({ url: '/next', headers: { 'content-encoding': 'gzip' } });
  assert.equal(get.statusCode, 200, get.body);
  const empty = await app.inject({
    method: 'POST',
    url: '/plain',
    headers: { 'content-encoding': 'gzip', 'content-length': '0' },
  });
  assert.equal(empty.statusCode, 200, empty.body);
});

test('the route that decodes still takes gzip, and names what it takes for another coding', async () => {
  const gzipped = await app.inject({
    method: 'POST',
    url: '/in',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    payload: gzipSync(JSON.stringify({ name: 'crème' })),
  });
  assert.equal(gzipped.statusCode, 200, gzipped.body);
  assert.deepEqual(gzipped.json(), { name: 'crème' });
  const br = await app.inject({
    method: 'POST',
    url: '/in',
    headers: { 'content-type': 'application/json', 'content-encoding': 'br' },
    payload: 'x',
  });
  assert.equal(br.statusCode, 415, br.body);
  assert.equal(br.headers['accept-encoding'], 'gzip, deflate');
});

test('a refused coded body is read to its end: the client reads the 415 and the connection goes on', async () => {
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  const body = gzipSync(Buffer.from(JSON.stringify({ name: 'x'.repeat(4000) })));
  socket.write(
    'POST /plain HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n' +
      `content-encoding: gzip\r\ncontent-length: ${body.length}\r\n\r\n`,
  );
  socket.write(body);
  socket.write('GET /next HTTP/1.1\r\nhost: x\r\n\r\n');
  const answers = await until(socket, (text) => text.includes('{"ok":true}'));
  socket.destroy();
  assert.match(answers, /^HTTP\/1\.1 415 /);
  assert.match(answers, /\r\naccept-encoding: identity\r\n/i);
  assert.match(answers, /HTTP\/1\.1 200 /);
});
