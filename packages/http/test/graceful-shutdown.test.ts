import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLOSING_REFUSAL_HEADER, IDLE_GRACE_MS, WRITE_OUT_MS } from '../src/closing.ts';
import { SHUTDOWN_GRACE_MS } from '../src/server.ts';
import { exitedWithin, startServer, startSupervised } from './helpers.ts';

test('SIGTERM lets an in-flight request finish, refuses new ones and exits 0', async () => {
  const { child, url, output } = await startServer('slow-server.ts');

  const inFlight = fetch(new URL('/slow', url)).then((r) => r.json());
  await new Promise((resolve) => setTimeout(resolve, 150));
  const started = Date.now();
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');

  assert.deepEqual(await inFlight, { finished: true });
  assert.equal(code, 0);
  assert.ok(output().includes('closed'), 'onClose hooks ran');
  assert.ok(Date.now() - started < 10_000);
  await assert.rejects(fetch(new URL('/slow', url)));
});

/**
 * The supervisor's death, three ways: side by side, each with its own supervisor and service, and
 * each bound by tens of seconds rather than by how soon a shutdown ends (those tests, below, run
 * one at a time). Their waits (a service's start, its 1.5 s start-up delay, a shutdown) overlap.
 */
describe('a service whose supervisor dies', { concurrency: true }, () => {
  test('a service started over an IPC channel stops gracefully when its supervisor is killed', {
    timeout: 30_000,
  }, async () => {
    const { supervisor, output } = await startSupervised('listening');
    const url = new URL(output().match(/listening (\S+)/)![1]!);
    assert.equal((await fetch(new URL('/slow', url))).status, 200);

    supervisor.kill('SIGKILL');
    // The service holds the pipe until it exits: its end is the service's end.
    await once(supervisor.stdout, 'end');
    assert.ok(output().includes('closed'), 'onClose hooks ran: the service shut down, not killed');
    await assert.rejects(fetch(new URL('/slow', url)), 'nothing listens any more');
  });

  test('a service whose supervisor died while it was still starting stops once it is up', {
    timeout: 60_000,
  }, async (t) => {
    const { supervisor, output } = await startSupervised('starting', { START_DELAY_MS: '1500' });
    const pid = Number(output().match(/starting (\d+)/)![1]);
    t.after(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    });
    // Gone before the service reached listen(): the channel closed with no one to hear it.
    supervisor.kill('SIGKILL');
    const ended = await Promise.race([
      once(supervisor.stdout, 'end').then(() => true),
      // Unref'd: a pending timer would hold the test process open for its 30 s after the test.
      sleep(30_000, false, { ref: false }),
    ]);
    assert.ok(ended, `the service still runs with no supervisor: ${output()}`);
    assert.ok(output().includes('listening'), output());
    assert.ok(output().includes('closed'), 'onClose hooks ran: the service shut down, not killed');
  });

  test('a service whose supervisor is killed exits even when its last log lines have nowhere to go', {
    timeout: 60_000,
  }, async (t) => {
    // As the launcher runs it: stdout and stderr are pipes the supervisor reads, without a reader
    // once it is gone. The service's shutdown ends in two error lines and process.exit at once (the
    // fixture's comment): the first line's write still in flight, pino's exit handler writes the
    // second synchronously (flushSync), and sonic-boom 4 retried that write every 100 ms for ever
    // on EPIPE (only an EAGAIN or EBUSY could end that loop): the service outlived its supervisor.
    const { supervisor, output } = await startSupervised(
      'listening',
      {},
      { fixture: 'logging-server.ts', piped: true },
    );
    const pid = Number(output().match(/listening \S+ (\d+)/)![1]);
    t.after(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    });
    supervisor.kill('SIGKILL');
    assert.ok(
      await exitedWithin(pid, 30_000),
      'the service still runs 30 s after its supervisor died',
    );
  });
});

test('SIGTERM waits for connections that never sent a request, and keep-alive ones idle after the drain, no longer than the idle grace', async () => {
  const { child, url } = await startServer('slow-server.ts');
  // A spare connection that never sends a byte (undici opens one after an aborted request,
  // browsers open them ahead): Node's close waited for it until the keep-alive timeout (72 s).
  const spare = net.connect(Number(url.port), url.hostname);
  await once(spare, 'connect');
  spare.on('error', () => {});
  // And a request in flight when the drain begins, on a connection kept alive after it.
  const inFlight = fetch(new URL('/slow', url)).then((r) => r.json());
  await sleep(150);
  const started = Date.now();
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.deepEqual(await inFlight, { finished: true });
  assert.equal(code, 0);
  const took = Date.now() - started;
  assert.ok(took < IDLE_GRACE_MS + 2000, `exited after ${took} ms`);
  spare.destroy();
});

/** A raw connection that sends GET requests one at a time and reads their answers. */
async function rawConnection(url: URL) {
  const socket = net.connect(Number(url.port), url.hostname);
  await once(socket, 'connect');
  socket.on('error', () => {});
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
  });
  const closed = once(socket, 'close');
  return {
    get closed() {
      return socket.destroyed;
    },
    /** The whole answer (by its Content-Length), or what came before the connection closed. */
    async ask(path: string) {
      received = '';
      socket.write(`GET ${path} HTTP/1.1\r\nhost: ${url.host}\r\n\r\n`);
      for (;;) {
        const end = received.indexOf('\r\n\r\n');
        const length = Number(/content-length: (\d+)/i.exec(received)?.[1] ?? 0);
        if (end >= 0 && received.length >= end + 4 + length) return received;
        if (socket.destroyed) return received;
        await Promise.race([once(socket, 'data'), closed]);
      }
    },
  };
}

test('a request sent after SIGTERM on a connection idle when the drain began, kept alive or never used, gets the marked refusal within the idle grace (counted from its last answer), not a cut connection; one quiet past it is ended at once', async () => {
  // The client may be writing it as the drain begins, and an idle connection cannot be closed
  // without that race: a gateway that sees it closed with no answer cannot tell whether a write
  // ran, and fails it. Refused with the closing mark, it goes to another instance.
  const { child, url } = await startServer('slow-server.ts');
  const kept = await rawConnection(url);
  const stale = await rawConnection(url);
  await stale.ask('/health/live');
  // Both quiet for longer than the grace, then `kept` answers just before the drain: the grace
  // counts from a connection's last answer.
  await sleep(IDLE_GRACE_MS + 200);
  const first = await kept.ask('/health/live');
  assert.match(first, /^HTTP\/1\.1 200 /);
  assert.doesNotMatch(first, /connection: close/i, 'kept alive');
  const spare = await rawConnection(url);
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  // Several of the drain's sweeps of idle connections (every 50 ms).
  await sleep(300);
  // Quiet for longer than any client of the gateway's kind keeps one: it does not hold the drain.
  assert.ok(stale.closed, 'a connection quiet past the grace is ended at once');
  for (const connection of [kept, spare]) {
    const answer = await connection.ask('/slow');
    assert.match(answer, /^HTTP\/1\.1 503 /);
    assert.match(answer, new RegExp(`^${CLOSING_REFUSAL_HEADER}: 1\r$`, 'im'));
    assert.match(answer, /^connection: close\r$/im);
  }
  const [code] = await exited;
  assert.equal(code, 0);
});

/** Sends `GET path` on a raw connection that reads nothing until `read()` is called. */
async function slowReader(url: URL, path: string) {
  const socket = net.connect(Number(url.port), url.hostname);
  await once(socket, 'connect');
  socket.pause();
  socket.write(`GET ${path} HTTP/1.1\r\nhost: ${url.host}\r\n\r\n`);
  return {
    /** Reads to the end: the status, the length the headers announced, the body's length. */
    async read() {
      let head = Buffer.alloc(0);
      let status = 0;
      let announced = Number.NaN;
      let received = 0;
      socket.on('data', (chunk: Buffer) => {
        if (status === 0) {
          head = Buffer.concat([head, chunk]);
          const end = head.indexOf('\r\n\r\n');
          if (end < 0) return;
          const headers = head.subarray(0, end).toString();
          status = Number(headers.split(' ')[1]);
          announced = Number(/content-length: (\d+)/i.exec(headers)?.[1]);
          received = head.length - end - 4;
        } else received += chunk.length;
        // Kept alive: the answer is complete once it has its announced length.
        if (received >= announced) socket.end();
      });
      socket.on('error', () => {});
      socket.resume();
      await once(socket, 'close');
      return { status, announced, received };
    },
  };
}

test('SIGTERM does not cut an answer a slow client is still reading, whether it ended before or during the drain', async () => {
  const { child, url } = await startServer('slow-server.ts');
  // Ended before the drain (16 MB: far more than loopback's socket buffers hold), and ending
  // during it (the route answers after 700 ms).
  const before = await slowReader(url, '/big');
  await sleep(1000);
  const during = await slowReader(url, '/big');
  // Received by now even on a loaded machine, still 300 ms from its answer when the drain begins.
  await sleep(400);
  child.kill('SIGTERM');
  // Both answers are written by now; the connections' close sweep ran many times over.
  await sleep(1500);
  const exited = once(child, 'exit');
  for (const answer of [await before.read(), await during.read()]) {
    assert.equal(answer.status, 200);
    assert.equal(answer.received, answer.announced, 'the whole body arrived');
  }
  const [code] = await exited;
  assert.equal(code, 0);
});

test('a request that arrives whole only after SIGTERM is answered 503 problem+json, its connection closed', async () => {
  const { child, url } = await startServer('slow-server.ts');
  // Half a request line before the drain: neither idle nor quiet, so the connection is kept…
  const socket = net.connect(Number(url.port), url.hostname);
  await once(socket, 'connect');
  let answer = '';
  socket.on('data', (chunk) => {
    answer += chunk;
  });
  socket.write('GET /sl');
  await sleep(150);
  child.kill('SIGTERM');
  await sleep(300);
  // …and the rest after it: no route runs now, the caller may try another instance.
  socket.write(`ow HTTP/1.1\r\nhost: ${url.host}\r\n\r\n`);
  await once(socket, 'close');
  const [code] = await once(child, 'exit');
  const [head, body] = answer.split('\r\n\r\n');
  assert.match(head!, /^HTTP\/1\.1 503 /);
  assert.match(head!, /content-type: application\/problem\+json/i);
  assert.match(head!, /connection: close/i);
  // Marked as the closing refusal: the gateway sends it to another instance, a write too.
  assert.match(head!, new RegExp(`^${CLOSING_REFUSAL_HEADER}: 1\r$`, 'im'));
  assert.equal(JSON.parse(body!).code, 'service_unavailable');
  assert.equal(code, 0);
});

test('a route cannot give its own answer the closing refusal’s mark: only the closing path sets it', async (t) => {
  const { child, url } = await startServer('slow-server.ts');
  // Not left running when an assertion fails: the test process would wait for it.
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const response = await fetch(new URL('/marked', url));
  assert.equal(response.status, 503);
  assert.deepEqual(await response.json(), { shed: true });
  assert.equal(response.headers.get(CLOSING_REFUSAL_HEADER), null);
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
});

test('a client that never reads its answer holds the drain for a bounded time only: the shutdown still ends cleanly, exit 0', async () => {
  // The bound is createApp's writeOutMs: 5 s by default, which leaves the steps after the close
  // half of the shutdown's 10 s grace. Shortened here, so the test does not wait out 5 s.
  assert.ok(WRITE_OUT_MS <= SHUTDOWN_GRACE_MS / 2, 'the default bound leaves room in the grace');
  const writeOutMs = 500;
  const { child, url } = await startServer('slow-server.ts', { WRITE_OUT_MS: String(writeOutMs) });
  // 16 MB that this client never reads: the answer is never written out.
  const stuck = await slowReader(url, '/big');
  // The answer is ended by the route (after 700 ms) well before the signal.
  await sleep(1500);
  const exited = once(child, 'exit');
  const signalled = Date.now();
  child.kill('SIGTERM');
  // Before: the close waited for the answer until the 10 s grace, which exits 1 without the
  // steps after the close (the database pool, the spans).
  const [code] = await exited;
  assert.equal(code, 0);
  const took = Date.now() - signalled;
  assert.ok(took >= writeOutMs, `the answer was cut after ${took} ms, before its bound`);
  assert.ok(took < WRITE_OUT_MS, `exited after ${took} ms: writeOutMs was not the bound`);
  const cut = await stuck.read();
  assert.ok(cut.received < cut.announced, 'the unread answer was cut');
});

test('a client that trickles its request (headers or body) holds the drain for a bounded time only: the shutdown still ends cleanly, exit 0', async () => {
  const writeOutMs = 500;
  const { child, url } = await startServer('slow-server.ts', { WRITE_OUT_MS: String(writeOutMs) });
  const trickling = async (head: string, drip: string) => {
    const socket = net.connect(Number(url.port), url.hostname);
    socket.on('error', () => {});
    await once(socket, 'connect');
    socket.write(head);
    const timer = setInterval(() => socket.write(drip), 200);
    socket.once('close', () => clearInterval(timer));
    return socket;
  };
  // Slowloris: a header line every 200 ms, never the blank line that ends them.
  const headers = await trickling('GET /slow HTTP/1.1\r\nHost: a\r\n', 'X-A: b\r\n');
  // A write whose headers came (its route's hooks ran) and whose body comes a byte at a time.
  const body = await trickling(
    'POST /echo HTTP/1.1\r\nHost: a\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n',
    ' ',
  );
  await sleep(300);
  const exited = once(child, 'exit');
  const signalled = Date.now();
  child.kill('SIGTERM');
  // Before: Node stops its header and request timeouts when its close begins, so either client
  // held the close until the shutdown's 10 s grace, which exits 1 without the steps after it.
  const [code] = await exited;
  const took = Date.now() - signalled;
  assert.equal(code, 0, `exited ${code} after ${took} ms`);
  assert.ok(took >= writeOutMs, `the requests were cut after ${took} ms, before their bound`);
  assert.ok(took < WRITE_OUT_MS, `exited after ${took} ms: writeOutMs was not the bound`);
  assert.ok(headers.destroyed && body.destroyed, 'both connections were ended');
});
