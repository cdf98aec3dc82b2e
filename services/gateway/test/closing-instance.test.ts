import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type App,
  CLOSING_REFUSAL_HEADER,
  createApp,
  IDLE_GRACE_MS,
  sendProblem,
} from '@platform/http';
import { UPSTREAM_IDLE_MS } from '../src/app.ts';
import { closeAtEnd, deadUrl, metricsOf, startGateway, startUpstream } from './helpers.ts';
import { eventually } from './services.ts';

const { cleanup, gateway } = closeAtEnd();

/**
 * The closing timings, for the tests that wait for them to run out: an instance's idle grace
 * (IDLE_GRACE_MS, 2 s), the gateway's for its idle connections to instances (UPSTREAM_IDLE_MS,
 * 1 s: well under the grace, as in production) and its write-out time (WRITE_OUT_MS, 5 s). The
 * other tests run production's.
 */
const SHORT = { idleGraceMs: 1200, upstreamIdleMs: 400, writeOutMs: 1000 };

/** A real @platform/http service (its closing path and all), answering with its name. */
async function startInstance(name: string, options: { idleGraceMs?: number } = {}) {
  const app = await createApp({ name: `main-${name}`, logLevel: 'silent', ...options });
  const seen: string[] = [];
  /** The writes whose route ran here. */
  const wrote: string[] = [];
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.url.startsWith('/main/')) seen.push(`${request.method} ${request.url}`);
    done();
  });
  app.get('/main/v1/who', async () => ({ instance: name }));
  app.post('/main/v1/notes', async (request, reply) => {
    wrote.push(request.url);
    return reply.code(201).send({ instance: name, body: request.body });
  });
  // Load shedding: a 503 the route gives on purpose, as like the closing refusal as it can be.
  app.post('/main/v1/shed', async (request, reply) => {
    reply.header('connection', 'close').header('retry-after', '1');
    sendProblem(request, reply, 503, 'Too busy; try again shortly.', {
      code: 'service_unavailable',
    });
    return reply;
  });
  // A route that sets the closing mark itself (copied from another answer, say).
  app.post('/main/v1/forged', async (request, reply) => {
    reply.header('connection', 'close').header(CLOSING_REFUSAL_HEADER, '1');
    sendProblem(request, reply, 503, 'Down for a moment.', { code: 'service_unavailable' });
    return reply;
  });
  // Its connections by the client's port, to see what it has read.
  const sockets = new Map<number, net.Socket>();
  app.server.on('connection', (socket: net.Socket) => sockets.set(socket.remotePort!, socket));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= app.close();
    return closed;
  };
  cleanup(close);
  return { app: app as App, url: `http://127.0.0.1:${port}`, seen, wrote, close, sockets };
}

/**
 * A TCP relay in front of an instance that, once armed, passes the first byte of the next request
 * starting with `prefix` and holds the rest until released: the request is on its way over a
 * connection the instance keeps (partly received, so its close spares it), and arrives whole only
 * after the close began — what a busy gateway's kept-alive connections see in every deploy. Armed
 * `whole`, it holds every byte: to the instance the connection is idle (or, if new, has never sent
 * one) when its close begins, and the request is still on the wire.
 */
async function startRelay(target: string) {
  const { hostname, port } = new URL(target);
  let armed: { prefix: string; whole: boolean; held: () => void } | undefined;
  let holding: { upstream: net.Socket; rest: Buffer[] } | undefined;
  /** Bytes sent on to the instance, by the relay's port towards it. */
  const forwarded = new Map<number, number>();
  const forward = (upstream: net.Socket, chunk: Buffer) => {
    upstream.write(chunk);
    const port = upstream.localPort ?? 0;
    forwarded.set(port, (forwarded.get(port) ?? 0) + chunk.length);
  };
  let connections = 0;
  const sockets = new Set<net.Socket>();
  /** Its connections to the instance, by their local port, once connected. */
  const upstreams = new Set<net.Socket>();
  let accepting = true;
  const server = net.createServer((client) => {
    connections++;
    const upstream = net.connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    upstream.once('connect', () => upstreams.add(upstream));
    client.on('data', (chunk: Buffer) => {
      if (holding?.upstream === upstream) {
        holding.rest.push(chunk);
      } else if (armed && chunk.toString('latin1').startsWith(armed.prefix)) {
        const { held, whole } = armed;
        armed = undefined;
        const passed = whole ? 0 : 1;
        if (passed > 0) forward(upstream, chunk.subarray(0, passed));
        holding = { upstream, rest: [chunk.subarray(passed)] };
        held();
      } else forward(upstream, chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
      upstreams.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanup(
    () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        if (accepting) server.close(() => resolve());
        else resolve();
      }),
  );
  return {
    url,
    /**
     * Takes no more connections, as the instance's own listener closing: a new one is refused
     * (not accepted, then cut). Resolves once every connection made so far reached the instance.
     */
    async stopAccepting(accepted: (localPort: number) => boolean) {
      accepting = false;
      server.close();
      while (
        [...sockets].some((s) => s.connecting) ||
        [...upstreams].some((s) => !accepted(s.localPort!))
      ) {
        await sleep(1);
      }
    },
    get connections() {
      return connections;
    },
    /** The held request's connection to the instance: its port there, and bytes sent on it. */
    get heldOn() {
      const port = holding!.upstream.localPort!;
      return { port, bytes: forwarded.get(port)! };
    },
    arm(prefix: string, whole = false) {
      return new Promise<void>((held) => {
        armed = { prefix, whole, held };
      });
    },
    release() {
      const { upstream, rest } = holding!;
      holding = undefined;
      upstream.write(Buffer.concat(rest));
    },
  };
}

/**
 * Two instances of main, `a` behind the relay, and a gateway with a connection to `a` kept;
 * `timings` short (SHORT), or production's.
 */
async function twoInstances(timings: { idleGraceMs?: number; upstreamIdleMs?: number } = {}) {
  const { upstreamIdleMs, ...grace } = timings;
  const idle = upstreamIdleMs === undefined ? {} : { upstreamIdleMs };
  const a = await startInstance('a', grace);
  const b = await startInstance('b', grace);
  const relay = await startRelay(a.url);
  // Polls stay out of the way: what the gateway learns of `a` comes from the refusal alone.
  const url = await gateway(
    { ROUTES: `/main=${relay.url},${b.url}`, HEALTH_INTERVAL_MS: 60_000 },
    { timings: idle },
  );
  // Equally idle instances take turns: within two reads `a` has answered one, on a connection the
  // gateway keeps alive.
  for (let i = 0; i < 4 && a.seen.length === 0; i++) {
    await (await fetch(`${url}/main/v1/who?warm=${i}`)).text();
  }
  assert.ok(a.seen.length > 0, 'a answered a request through the gateway');
  return { a, b, relay, url };
}

/**
 * Sends `send()` until one reaches `a` (the balancer takes turns; one that goes to `b` is answered
 * by `b` as usual), begins a's close while that one is partly received, lets the rest arrive and
 * returns the gateway's answer.
 */
async function raceTheClose(
  setup: Awaited<ReturnType<typeof twoInstances>>,
  prefix: string,
  send: (attempt: number) => Promise<Response>,
) {
  const { a, relay } = setup;
  const connections = relay.connections;
  const held = relay.arm(prefix);
  for (let attempt = 0; attempt < 4; attempt++) {
    const sent = send(attempt);
    const first = await Promise.race([held.then(() => 'held'), sent.then(() => 'answered')]);
    if (first === 'answered') {
      await (await sent).text();
      continue;
    }
    assert.equal(relay.connections, connections, 'sent on the connection the gateway kept alive');
    // The first byte read by `a` before its close begins.
    const { port, bytes } = relay.heldOn;
    while ((a.sockets.get(port)?.bytesRead ?? 0) < bytes) await sleep(5);
    const closed = a.close();
    // Several of the close's sweeps (every 50 ms): a connection with part of a request is spared.
    await sleep(250);
    relay.release();
    const response = await sent;
    await closed;
    return { response, attempt };
  }
  throw new Error('no request reached a');
}

const retriesOf = async (url: string, reason: string) => {
  const line = new RegExp(
    `^gateway_upstream_retries_total\\{[^}]*reason="${reason}"[^}]*\\} (\\d+)$`,
    'm',
  );
  return Number(line.exec(await metricsOf(url))?.[1]);
};

test('a read that reaches an instance after its close began is answered by the other instance, the closing mark never reaching the client', async () => {
  const setup = await twoInstances();
  const { a, b, url } = setup;
  const { response, attempt } = await raceTheClose(setup, 'GET /main/v1/who?read', (n) =>
    fetch(`${url}/main/v1/who?read=${n}`),
  );
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { instance: 'b' });
  assert.equal(response.headers.get(CLOSING_REFUSAL_HEADER), null);
  // It reached a (the relay held it on a's connection) and was refused before any hook of a's.
  const sent = `GET /main/v1/who?read=${attempt}`;
  assert.ok(!a.seen.includes(sent), 'nothing of a ran for it');
  assert.deepEqual(
    b.seen.filter((s) => s === sent),
    [sent],
  );
  assert.equal(await retriesOf(url, 'closing'), 1);
  // The closing instance is out: the next requests go to b at once.
  const metrics = await metricsOf(url);
  assert.match(
    metrics,
    new RegExp(`gateway_upstream_healthy\\{[^}]*instance="${setup.relay.url}"[^}]*\\} 0`),
  );
  for (let i = 0; i < 3; i++) {
    const next = await fetch(`${url}/main/v1/who?after=${i}`);
    assert.deepEqual(await next.json(), { instance: 'b' });
  }
  assert.equal(await retriesOf(url, 'closing'), 1, 'none of them tried a again');
});

test('a write that reaches an instance after its close began is sent to the other instance, body and all: no route ran', async () => {
  const setup = await twoInstances();
  const { a, b, url } = setup;
  const body = JSON.stringify({ text: 'written once' });
  const { response, attempt } = await raceTheClose(setup, 'POST /main/v1/notes?write', (n) =>
    fetch(`${url}/main/v1/notes?write=${n}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    }),
  );
  assert.equal(response.status, 201);
  assert.deepEqual(await response.json(), { instance: 'b', body: { text: 'written once' } });
  assert.equal(response.headers.get(CLOSING_REFUSAL_HEADER), null);
  const sent = `POST /main/v1/notes?write=${attempt}`;
  assert.ok(!a.seen.includes(sent), 'nothing of a ran for it');
  assert.deepEqual(
    b.seen.filter((s) => s === sent),
    [sent],
    'written once, by b',
  );
  assert.equal(await retriesOf(url, 'closing'), 1);
});

test('with no other instance to send it to, the closing refusal reaches the client as the service gave it, without its mark', async () => {
  const a = await startInstance('a');
  const relay = await startRelay(a.url);
  const url = await gateway({ ROUTES: `/main=${relay.url}`, HEALTH_INTERVAL_MS: 60_000 });
  await (await fetch(`${url}/main/v1/who?warm`)).text();
  const setup = { a, b: a, relay, url };
  const { response } = await raceTheClose(setup, 'POST /main/v1/notes', () =>
    fetch(`${url}/main/v1/notes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    }),
  );
  assert.equal(response.status, 503);
  assert.equal(response.headers.get(CLOSING_REFUSAL_HEADER), null);
  assert.equal(response.headers.get('retry-after'), '1');
  const problem = (await response.json()) as { code: string; detail: string };
  assert.equal(problem.code, 'service_unavailable');
  assert.match(problem.detail, /shutting down/);
});

test('a 503 a route gives on purpose is not sent again for a write, even with the closing mark set by the route', async () => {
  const a = await startInstance('a');
  const b = await startInstance('b');
  const url = await gateway({ ROUTES: `/main=${a.url},${b.url}`, HEALTH_INTERVAL_MS: 60_000 });
  for (const path of ['shed', 'forged']) {
    const response = await fetch(`${url}/main/v1/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(response.status, 503, path);
    assert.equal(response.headers.get(CLOSING_REFUSAL_HEADER), null, path);
    assert.equal(((await response.json()) as { code: string }).code, 'service_unavailable');
    const seen = [...a.seen, ...b.seen].filter((s) => s === `POST /main/v1/${path}`);
    assert.equal(seen.length, 1, `${path} reached one instance once`);
  }
  assert.equal(await retriesOf(url, 'closing'), 0);
});

test('a write to an instance that refuses the connection (closed: nothing listens any more) goes to the other instance', async () => {
  const b = await startInstance('b');
  const url = await gateway({
    ROUTES: `/main=${await deadUrl()},${b.url}`,
    HEALTH_INTERVAL_MS: 60_000,
  });
  // Equally idle instances take turns: one of the two goes to the closed one first.
  for (let i = 0; i < 2; i++) {
    const response = await fetch(`${url}/main/v1/notes?n=${i}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n: i }),
    });
    assert.equal(response.status, 201);
    assert.deepEqual(await response.json(), { instance: 'b', body: { n: i } });
  }
  assert.deepEqual(
    b.seen.filter((s) => s.startsWith('POST')),
    ['POST /main/v1/notes?n=0', 'POST /main/v1/notes?n=1'],
  );
  assert.equal(await retriesOf(url, 'unreachable'), 1);
});

test('a write whose closing refusal was cut off after its head still goes to the other instance: the mark already said no route ran', async () => {
  const b = await startInstance('b');
  // A closing instance whose refusal breaks off after its head: the connection reset while its
  // body was on the way (the unread rest of a large request body, a close that ran out of time).
  const writes: string[] = [];
  const closing = net.createServer((socket) => {
    socket.once('data', (chunk: Buffer) => {
      const line = chunk.toString('latin1').split('\r\n', 1)[0]!;
      if (!line.includes(' /main/')) {
        socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}');
        return;
      }
      writes.push(line);
      socket.write(
        'HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\nretry-after: 1\r\n' +
          `${CLOSING_REFUSAL_HEADER}: 1\r\ncontent-type: application/problem+json\r\n` +
          'content-length: 200\r\n\r\n{"type":"about:blank",',
        () => setTimeout(() => socket.resetAndDestroy(), 20),
      );
    });
  });
  await new Promise<void>((resolve) => closing.listen(0, '127.0.0.1', resolve));
  cleanup(() => new Promise<void>((resolve) => closing.close(() => resolve())));
  const closingUrl = `http://127.0.0.1:${(closing.address() as AddressInfo).port}`;
  const url = await gateway({ ROUTES: `/main=${closingUrl},${b.url}`, HEALTH_INTERVAL_MS: 60_000 });
  // Equally idle instances take turns: one of the two goes to the closing one first.
  for (let i = 0; i < 2; i++) {
    const response = await fetch(`${url}/main/v1/notes?n=${i}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n: i }),
    });
    assert.equal(response.status, 201, `request ${i}`);
    assert.deepEqual(await response.json(), { instance: 'b', body: { n: i } });
  }
  assert.equal(writes.length, 1, 'the closing instance was tried once');
  assert.equal(await retriesOf(url, 'closing'), 1);
});

test('a closing refusal whose body stalls after its head is still a refusal, and is not waited for: sent to the other instance, or the gateway’s own 503, at once, never a 504', async () => {
  // The mark in the head already said no route ran; the body that never comes (until the silence
  // timeout, UPSTREAM_TIMEOUT) changes nothing of that. A 504 would say the service may have
  // acted on it, and no write could go to another instance. Nor is the body waited for: the
  // client was held for UPSTREAM_TIMEOUT (30 s by default) for an outcome the head had decided.
  const b = await startInstance('b');
  const writes: string[] = [];
  const sockets = new Set<net.Socket>();
  const closing = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('data', (chunk: Buffer) => {
      const line = chunk.toString('latin1').split('\r\n', 1)[0]!;
      if (!line.includes(' /main/')) {
        socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}');
        return;
      }
      writes.push(line);
      // Then nothing more, the connection left open.
      socket.write(
        'HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\nretry-after: 1\r\n' +
          `${CLOSING_REFUSAL_HEADER}: 1\r\ncontent-type: application/problem+json\r\n` +
          'content-length: 200\r\n\r\n{"type":"about:blank",',
      );
    });
  });
  await new Promise<void>((resolve) => closing.listen(0, '127.0.0.1', resolve));
  cleanup(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        closing.close(() => resolve());
      }),
  );
  const closingUrl = `http://127.0.0.1:${(closing.address() as AddressInfo).port}`;
  // Far longer than an answer here takes, far shorter than the gateway's silence timeout (its
  // default, 30 s): a body waited for until then fails the bound.
  const bound = 10_000;
  const write = async (url: string, n: number) => {
    const started = Date.now();
    const response = await fetch(`${url}/main/v1/notes?n=${n}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n }),
      signal: AbortSignal.timeout(bound + 1000),
    });
    const took = Date.now() - started;
    assert.ok(
      took < bound,
      `request ${n}: answered after ${took} ms: the stalled body was waited for`,
    );
    return response;
  };

  const alone = await gateway({ ROUTES: `/main=${closingUrl}`, HEALTH_INTERVAL_MS: 60_000 });
  const refused = await write(alone, 0);
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get(CLOSING_REFUSAL_HEADER), null);
  assert.equal(refused.headers.get('retry-after'), '1');
  // The gateway's own problem: the instance's was cut off, and is not passed on in part.
  assert.equal(
    ((await refused.json()) as { detail: string }).detail,
    'The main service is unavailable.',
  );

  const withPeer = await gateway({
    ROUTES: `/main=${closingUrl},${b.url}`,
    HEALTH_INTERVAL_MS: 60_000,
  });
  // Equally idle instances take turns: one of the two goes to the closing one first.
  for (let i = 1; i <= 2; i++) {
    const response = await write(withPeer, i);
    assert.equal(response.status, 201, `request ${i}`);
    assert.deepEqual(await response.json(), { instance: 'b', body: { n: i } });
  }
  assert.equal(writes.length, 2, 'the closing instance was tried once by each gateway');
  assert.equal(await retriesOf(withPeer, 'closing'), 1);
});

test('a steady stream of writes through a rolling deploy: none fails as the closing instance ends its idle connections, and each runs exactly once', async () => {
  // The race of every deploy under write load: the gateway writes a POST on a connection it keeps
  // alive to an instance at the moment that instance, closing, ends the connection as idle. The
  // relay holds that write on the wire (every byte of it) while the close begins, so the race is
  // met on every run, not by chance: to the instance the connection is idle, to the gateway the
  // request is sent.
  const a = await startInstance('a');
  const b = await startInstance('b');
  const relay = await startRelay(a.url);
  const url = await gateway({ ROUTES: `/main=${relay.url},${b.url}`, HEALTH_INTERVAL_MS: 60_000 });
  const answers = new Map<string, number>();
  let next = 0;
  let streaming = true;
  const writer = async () => {
    while (streaming) {
      const path = `/main/v1/notes?write=${next++}`;
      const response = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ path }),
      });
      await response.arrayBuffer();
      answers.set(path, response.status);
    }
  };
  const writers = [writer(), writer(), writer()];
  // Both instances take writes, on connections the gateway keeps alive.
  while (a.wrote.length < 5 || b.wrote.length < 5) await sleep(5);
  await relay.arm('POST /main/v1/notes?write=', true);
  // Its listener closes first, as a's own will: a connection the gateway opens now is refused.
  await relay.stopAccepting((port) => a.sockets.has(port));
  const closed = a.close();
  // Several of the close's sweeps (every 50 ms) while the write is on the wire.
  await sleep(250);
  relay.release();
  await sleep(250);
  streaming = false;
  await Promise.all(writers);
  await closed;

  const failed = [...answers].filter(([, status]) => status !== 201);
  assert.deepEqual(failed, [], 'every write answered 201');
  const ran = [...a.wrote, ...b.wrote].sort();
  assert.deepEqual(ran, [...answers.keys()].sort(), 'every write ran exactly once');
  assert.ok((await retriesOf(url, 'closing')) >= 1, 'the held write was refused and sent to b');
});

test('a write the gateway sends a closing instance it has heard nothing from, once its kept connection has been quiet for most of the idle grace, is not cut as the grace ends: the gateway dropped that connection first', async () => {
  // No request reached a since its close began, and no poll: the gateway still counts a in. The
  // connection it kept to a has been quiet since the warm-up, so the gateway closed it itself
  // (UPSTREAM_IDLE_MS) before a would (IDLE_GRACE_MS): the write opens a new one, refused, and
  // goes to b. Kept, it would have been on the wire as a ended it. Both short here (SHORT), in
  // production's proportions.
  assert.ok(UPSTREAM_IDLE_MS * 2 <= IDLE_GRACE_MS, 'the gateway drops idle connections well first');
  assert.ok(SHORT.upstreamIdleMs * 2 <= SHORT.idleGraceMs);
  const { a, b, relay, url } = await twoInstances(SHORT);
  await relay.stopAccepting((port) => a.sockets.has(port));
  const closed = a.close();
  // Past the gateway's idle time, before the grace's end.
  await sleep((SHORT.upstreamIdleMs + SHORT.idleGraceMs) / 2);
  let held: Promise<'held'> = relay.arm('POST /main/v1/notes?late', true).then(() => 'held');
  const answers: number[] = [];
  // Idle instances take turns: one of the two writes is for a.
  for (let n = 0; n < 2; n++) {
    const sent = fetch(`${url}/main/v1/notes?late=${n}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n }),
    });
    if ((await Promise.race([held, sent.then(() => 'answered')])) === 'held') {
      held = new Promise(() => {});
      // On the wire past the grace's end, when a ends the connections it finds idle.
      await sleep(SHORT.idleGraceMs / 2 + 200);
      relay.release();
    }
    const response = await sent;
    await response.arrayBuffer();
    answers.push(response.status);
  }
  await closed;
  assert.deepEqual(answers, [201, 201]);
  assert.deepEqual(a.wrote, []);
  assert.deepEqual(b.wrote, ['/main/v1/notes?late=0', '/main/v1/notes?late=1'], 'each ran once');
  assert.equal(await retriesOf(url, 'unreachable'), 1);
});

/**
 * One instance behind a gateway of its own, and a raw connection to that gateway: what arrived
 * on it so far (`received()`), `ended` once it closed, `close()` for the gateway.
 */
async function gatewayConnection() {
  const a = await startInstance('a');
  const { app, url } = await startGateway({ ROUTES: `/main=${a.url}`, HEALTH_INTERVAL_MS: 60_000 });
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= app.close());
  cleanup(close);
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  socket.on('error', () => {});
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
  });
  await new Promise((resolve) => socket.once('connect', resolve));
  const ended = new Promise((resolve) => socket.once('close', resolve));
  /** A POST of `{ n }` as it goes on the wire. */
  const post = (n: number) => {
    const body = JSON.stringify({ n });
    return (
      `POST /main/v1/notes?n=${n} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n` +
      `content-length: ${body.length}\r\n\r\n${body}`
    );
  };
  return { a, socket, ended, close, post, received: () => received };
}

test('a closing gateway serves what arrives on a connection kept alive within its idle grace, closing the connection after the answer', async () => {
  // NGINX in front writes on the connections it keeps and sends a written POST nowhere else:
  // refused (503) or cut, that POST failed (nginx.full.test.ts has the whole hop).
  const { a, socket, ended, close, post, received } = await gatewayConnection();
  socket.write(post(0));
  await eventually(async () => received().includes('"n":0'));
  const closed = close();
  await sleep(IDLE_GRACE_MS / 4);
  socket.write(post(1));
  await ended;
  // Before: no answer (the connection ended as the close began) or the gateway's 503 refusal.
  const answers = received().split(/(?=HTTP\/1\.1 )/);
  assert.equal(answers.length, 2, received());
  const second = answers[1]!;
  assert.match(second, /^HTTP\/1\.1 201 /, second);
  assert.match(second, /\r\nconnection: close\r\n/i);
  assert.deepEqual(a.wrote, ['/main/v1/notes?n=0', '/main/v1/notes?n=1']);
  await closed;
});

test('the gateway’s health polls never hold a closing instance for its idle grace: their connections are dropped as quietly as the proxy’s', async () => {
  // The grace and the gateway's idle time short (SHORT), the polls less often than the grace.
  const a = await startInstance('a', { idleGraceMs: SHORT.idleGraceMs });
  let polled = 0;
  a.app.server.prependListener('request', (request: { url?: string }) => {
    if (request.url?.startsWith('/health')) polled++;
  });
  const interval = SHORT.idleGraceMs + 300;
  await gateway(
    { ROUTES: `/main=${a.url}`, HEALTH_INTERVAL_MS: interval },
    { timings: { upstreamIdleMs: SHORT.upstreamIdleMs } },
  );
  // Right after a poll, on a connection the checks keep: the next poll is `interval` away.
  await eventually(async () => polled > 0);
  const began = Date.now();
  await a.close();
  const took = Date.now() - began;
  // Kept for undici's default 4 s, the poll's connection stayed open and quiet, and a waited out
  // its idle grace (IDLE_GRACE_MS, 2 s; here SHORT's) for it: every restart of a service under
  // `npm run dev`, and every instance's stop in a deploy, took 2 s longer than its work.
  assert.ok(took < SHORT.upstreamIdleMs + 500, `a took ${took} ms to close`);
  assert.ok(SHORT.upstreamIdleMs + 500 < SHORT.idleGraceMs);
});

test('a closing gateway serves one request per kept-alive connection: writes pipelined behind it are not run, as their answers could never be written', async () => {
  // Node runs every pipelined request as it is parsed; the connection closes after the first
  // answer, so the writes behind it went on at the service while their client heard nothing.
  const { a, socket, ended, close, post, received } = await gatewayConnection();
  socket.write(post(0));
  await eventually(async () => received().includes('"n":0'));
  const closed = close();
  await sleep(IDLE_GRACE_MS / 4);
  socket.write(post(1) + post(2) + post(3));
  await ended;
  await closed;
  const answers = received().split(/(?=HTTP\/1\.1 )/);
  assert.equal(answers.length, 2, received());
  assert.match(answers[1]!, /^HTTP\/1\.1 201 /, answers[1]);
  assert.match(answers[1]!, /\r\nconnection: close\r\n/i);
  // Before: ['…n=0', '…n=1', '…n=2', '…n=3'], two of them never answered.
  assert.deepEqual(a.wrote, ['/main/v1/notes?n=0', '/main/v1/notes?n=1']);
});

test('a closing gateway whose client pipelined requests to a stalled service still closes once the write-out time is over', async () => {
  // The connection is cut then, and with it every exchange its requests had with the service; but
  // those queued behind its first answer were never told, their exchanges held the balancer's
  // close (it waits for them), and the shutdown ran into its 10 s grace: exit 1.
  const stalled = await startUpstream((req, res) => {
    if (req.url === '/health/ready') return res.end('{}');
    req.resume();
  });
  cleanup(stalled.close);
  // The write-out time short (SHORT; WRITE_OUT_MS, 5 s, in production).
  const { app, url } = await startGateway(
    { ROUTES: `/main=${stalled.url}`, HEALTH_INTERVAL_MS: 60_000 },
    { timings: { writeOutMs: SHORT.writeOutMs } },
  );
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  cleanup(async () => {
    socket.destroy();
  });
  const get = (n: number) => `GET /main/v1/posts?n=${n} HTTP/1.1\r\nhost: x\r\n\r\n`;
  socket.write(get(1) + get(2) + get(3));
  await sleep(300);
  const started = Date.now();
  const closed = app.close().then(() => Date.now() - started);
  const took = await Promise.race([closed, sleep(SHORT.writeOutMs + 4000).then(() => -1)]);
  assert.ok(took >= 0 && took < SHORT.writeOutMs + 2000, `closed after ${took} ms (-1: not yet)`);
  await closed;
});
