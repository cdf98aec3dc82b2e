import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import {
  answerCacheVersion,
  CACHE_VERSION_HEARTBEAT_HEADER,
  CACHE_VERSION_HELD_HEADER,
  type HeldVersion,
} from '../src/index.ts';

/** A version that moves when the test says so, and the reads of it answers make. */
function fakeWatch() {
  let version = '1';
  const waiters = new Set<() => void>();
  let reads = 0;
  const watch: HeldVersion = {
    canHold: (known) => known === version,
    current: () => version,
    hold: (known, ms, signal) =>
      new Promise((resolve) => {
        const done = () => {
          waiters.delete(done);
          clearTimeout(timer);
          resolve(version);
        };
        const timer = setTimeout(done, ms);
        waiters.add(done);
        signal?.addEventListener('abort', done, { once: true });
        if (known !== version) done();
      }),
  };
  return {
    watch,
    held: () => waiters.size,
    reads: () => reads,
    read: async () => {
      reads += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return version;
    },
    move(to: string) {
      version = to;
      for (const done of [...waiters]) done();
    },
  };
}

async function serve(source: ReturnType<typeof fakeWatch>) {
  const app = Fastify();
  app.get('/v', (request, reply) =>
    answerCacheVersion(request, reply, request.query as { version: string; wait: number }, source),
  );
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
}

async function eventually(check: () => boolean) {
  const start = Date.now();
  while (!check()) {
    assert.ok(Date.now() - start < 10_000, 'not within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('a held answer announces a heartbeat and sends a space every second until it ends', async (t) => {
  const source = fakeWatch();
  const server = await serve(source);
  t.after(server.close);
  const res = await fetch(`${server.url}/v?version=1&wait=30`);
  assert.equal(res.headers.get(CACHE_VERSION_HELD_HEADER), '1');
  assert.equal(res.headers.get(CACHE_VERSION_HEARTBEAT_HEADER), '1000');
  // Taken over, it still names its request, as every answer does.
  assert.equal(res.headers.get('x-request-id'), 'req-1');
  const reader = res.body!.getReader();
  const first = await reader.read();
  assert.equal(new TextDecoder().decode(first.value), ' ', 'a beat while nothing moved');
  source.move('2');
  let rest = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    rest += new TextDecoder().decode(value);
  }
  assert.deepEqual(JSON.parse(rest), { version: '2' });
});

test('requests woken together by one write share one read of the version', async (t) => {
  const source = fakeWatch();
  const server = await serve(source);
  t.after(server.close);
  const answers = [1, 2, 3, 4].map(() =>
    fetch(`${server.url}/v?version=1&wait=30`).then((r) => r.text()),
  );
  await eventually(() => source.held() === 4);
  const before = source.reads();
  source.move('2');
  for (const text of await Promise.all(answers))
    assert.deepEqual(JSON.parse(text), { version: '2' });
  assert.equal(source.reads() - before, 1);
});
