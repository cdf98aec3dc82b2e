import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceAuth } from '@platform/auth';
import { IDLE_GRACE_MS } from '@platform/http';
import { ConfigSchema } from '../src/config.ts';
import {
  acceptUserTokens,
  closeAtEnd,
  json,
  metricsOf,
  type Problem,
  startGateway,
  startUpstream,
} from './helpers.ts';
import { eventually } from './services.ts';

const { cleanup, gateway } = closeAtEnd();

/** Sends its headers at once, then `first` bytes, then one byte every 100 ms for ever. */
function trickle(first: number, seen: { closed: number }) {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/health/ready') return res.end('{}');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(`"${'x'.repeat(first)}`);
    const timer = setInterval(() => res.write('x'), 100);
    res.on('close', () => {
      clearInterval(timer);
      seen.closed++;
    });
  };
}

const healthyIn = async (url: string, instance: string) => {
  const metrics = await metricsOf(url);
  const line = new RegExp(`gateway_upstream_healthy\\{[^}]*instance="${instance}"[^}]*\\} (\\d)`);
  return line.exec(metrics)?.[1];
};

test('headers at once and a body that trickles for ever: 504 problem+json at the total timeout', async () => {
  const seen = { closed: 0 };
  const slow = await startUpstream(trickle(10, seen));
  cleanup(slow.close);
  // The silence timeout alone would never fire: a byte comes every 100 ms.
  const url = await gateway({
    AUTH_URLS: slow.url,
    UPSTREAM_TIMEOUT: 30,
    UPSTREAM_TOTAL_TIMEOUT: 1,
    // No health poll (the instance answers it) within the test: the check below is passive
    // health's alone.
    HEALTH_INTERVAL_MS: 600_000,
  });
  const started = Date.now();
  const response = await fetch(`${url}/accounts/v1/user`, {
    headers: { 'x-request-id': 'slow-1' },
  });
  const elapsed = Date.now() - started;
  assert.equal(response.status, 504);
  assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
  const problem = await json<Problem>(response);
  assert.equal(problem.request_id, 'slow-1');
  assert.match(problem.detail, /auth service did not answer in time/);
  // Not a performance figure: without a total deadline this would never end.
  assert.ok(elapsed >= 900 && elapsed < 10_000, `took ${elapsed} ms`);
  // The service's side of the exchange was closed. The instance is ejected, but as auth's only
  // one it stays in rotation: there is nowhere else to send the next request
  // (single-instance.test.ts).
  await eventually(async () => seen.closed === 1);
  assert.equal(await healthyIn(url, slow.url), '1');
});

test('an answer that was already streaming when the total timeout came is cut off', async () => {
  const seen = { closed: 0 };
  // Past what the gateway holds back, so the client has the status line and the first bytes.
  const slow = await startUpstream(trickle(200 * 1024, seen));
  cleanup(slow.close);
  const url = await gateway({ AUTH_URLS: slow.url, UPSTREAM_TOTAL_TIMEOUT: 1 });
  const response = await fetch(`${url}/accounts/v1/user`);
  assert.equal(response.status, 200);
  await assert.rejects(response.text());
  await eventually(async () => seen.closed === 1);
});

test('a body that stalls ends after UPSTREAM_TIMEOUT of silence, held or streamed: a 504 for a small answer, a cut-off one past 64 KB', async () => {
  const seen = { closed: 0 };
  // Headers and part of the body at once, then nothing: a small answer (declared 200 bytes, 100
  // sent) the gateway holds, a large one (200 KB sent, chunked) it was already streaming.
  const stalled = await startUpstream((req, res) => {
    if (req.url === '/health/ready') return res.end('{}');
    res.on('close', () => seen.closed++);
    const small = req.url?.endsWith('/small');
    res.writeHead(200, {
      'content-type': 'application/json',
      ...(small ? { 'content-length': '200' } : {}),
    });
    res.write(`"${'x'.repeat(small ? 99 : 200 * 1024)}`);
  });
  cleanup(stalled.close);
  // Silence ends it, not the total (the default 60 s would do too; 30 s keeps a failure short).
  const url = await gateway({
    AUTH_URLS: stalled.url,
    UPSTREAM_TIMEOUT: 1,
    UPSTREAM_TOTAL_TIMEOUT: 30,
  });
  const timed = async (path: string) => {
    const started = Date.now();
    const response = await fetch(`${url}/accounts/v1/${path}`);
    const body = await response.text().catch(() => 'cut off');
    return { status: response.status, body, elapsed: Date.now() - started };
  };
  const [small, large] = await Promise.all([timed('small'), timed('large')]);
  assert.equal(small.status, 504);
  assert.match(JSON.parse(small.body).detail, /auth service did not answer in time/);
  assert.equal(large.status, 200);
  assert.equal(large.body, 'cut off');
  // undici checks body silence on a coarse (up to 1 s) clock: 1–2 s, not the total's 30 s.
  for (const { elapsed } of [small, large]) {
    assert.ok(elapsed >= 900 && elapsed < 5000, `took ${elapsed} ms`);
  }
  await eventually(async () => seen.closed === 2);
});

test('a client that gives up closes the exchange with the service too', async () => {
  let arrived = 0;
  let closed = 0;
  const stuck = await startUpstream((req, res) => {
    if (req.url === '/health/ready') return res.end('{}');
    arrived++;
    res.on('close', () => closed++);
  });
  cleanup(stuck.close);
  const url = await gateway({ AUTH_URLS: stuck.url });
  const giveUp = new AbortController();
  const pending = fetch(`${url}/accounts/v1/user`, { signal: giveUp.signal }).catch(() => 'gone');
  await eventually(async () => arrived === 1);
  giveUp.abort();
  assert.equal(await pending, 'gone');
  await eventually(async () => closed === 1);
});

test('a client that gives up on a write whose body the gateway had read whole closes the exchange with the service too', async () => {
  // Node marks a request aborted only while its body is still arriving, and Fastify's
  // onRequestAbort goes by that mark: a POST read whole (as the gateway reads every body before
  // it picks an instance) whose client went away left the service working on it for nobody.
  let arrived = 0;
  let closed = 0;
  const stuck = await startUpstream((req, res) => {
    if (req.url === '/health/ready') return res.end('{}');
    req.resume();
    req.once('end', () => arrived++);
    res.on('close', () => closed++);
  });
  cleanup(stuck.close);
  const url = await gateway({ AUTH_URLS: stuck.url, MAIN_URLS: stuck.url });
  const giveUp = new AbortController();
  const pending = fetch(`${url}/main/v1/posts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'x'.repeat(10_000) }),
    signal: giveUp.signal,
  }).catch(() => 'gone');
  await eventually(async () => arrived === 1);
  giveUp.abort();
  assert.equal(await pending, 'gone');
  await eventually(async () => closed === 1, 5000);
  // Nor does it hold its instance's in-flight count: the next request is balanced as if idle.
  assert.match(
    await metricsOf(url),
    /^gateway_upstream_in_flight\{[^}]*upstream_service="main"[^}]*\} 0$/m,
  );
});

test('NGINX and the ingress wait for a gateway longer than a gateway waits for a service', async () => {
  const read = (file: string) =>
    readFile(path.resolve(import.meta.dirname, '../../..', file), 'utf8');
  const nginx = [
    ...(await read('deploy/nginx/nginx.conf')).matchAll(/proxy_read_timeout\s+(\d+)s;/g),
  ];
  const ingress = [
    ...(await read('deploy/k8s/base/ingress.yaml')).matchAll(/proxy-read-timeout: "(\d+)"/g),
  ];
  const timeouts = [...nginx, ...ingress];
  assert.ok(nginx.length > 0 && ingress.length > 0);
  const setting = ConfigSchema.properties.UPSTREAM_TOTAL_TIMEOUT as unknown as { default: number };
  const total = setting.default;
  // With only as long, NGINX's own timeout fires first: a 503 instead of the gateway's 504, the
  // gateway counted as failed, and an idempotent request sent to another one all over again.
  for (const [, seconds] of timeouts) assert.ok(Number(seconds) >= total + 5, `${seconds}s`);
});

test('NGINX drops an idle connection to a gateway before a closing gateway ends it', async () => {
  const conf = await readFile(
    path.resolve(import.meta.dirname, '../../..', 'deploy/nginx/nginx.conf'),
    'utf8',
  );
  const upstream = /upstream gateway \{([^}]*)\}/.exec(conf)?.[1] ?? '';
  const timeout = /keepalive_timeout\s+(\d+)(ms|s);/.exec(upstream);
  assert.ok(timeout, 'the gateway upstream sets its keepalive_timeout (NGINX’s default is 60 s)');
  const ms = Number(timeout[1]) * (timeout[2] === 's' ? 1000 : 1);
  // With as long or longer, NGINX may write a POST on a connection the closing gateway is ending
  // (a 502: NGINX resends no written POST). Half of it at most: margin for either's event loop.
  assert.ok(ms <= IDLE_GRACE_MS / 2, `${ms} ms against the gateway's ${IDLE_GRACE_MS} ms grace`);
});

test('a timeout or interval longer than a Node timer holds is refused at start, not turned into 1 ms', async () => {
  const upstream = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  cleanup(upstream.close);
  // Node fires a longer timer after 1 ms: every proxied request was a 504 at once, and every
  // instance was polled for health every millisecond.
  for (const env of [
    { UPSTREAM_TOTAL_TIMEOUT: 2_147_484 },
    { CLIENT_REQUEST_TIMEOUT: 2_147_484 },
    { HEALTH_INTERVAL_MS: 2 ** 31 },
    { UPSTREAM_EJECT_MS: 2 ** 31 },
  ]) {
    const [name] = Object.keys(env);
    await assert.rejects(
      gateway({ MAIN_URLS: upstream.url, ...env }),
      new RegExp(`^ConfigError: ${name} is invalid: expected a number of`),
    );
  }
  // The most a timer holds still works.
  const url = await gateway({
    MAIN_URLS: upstream.url,
    UPSTREAM_TOTAL_TIMEOUT: 2_147_483,
    HEALTH_INTERVAL_MS: 2 ** 31 - 1,
  });
  const answer = await fetch(`${url}/main/v1/anything`);
  assert.equal(answer.status, 200, await answer.text());
});

/** The gateway's in-flight count towards main's one instance. */
const mainInFlight = async (url: string) =>
  /^gateway_upstream_in_flight\{[^}]*upstream_service="main"[^}]*\} (\d+)$/m.exec(
    await metricsOf(url),
  )?.[1];

/** A service that reads each request's body and never answers (but `?fast` ones, at once). */
async function stuckService() {
  const seen = { arrived: 0, closed: 0 };
  const stuck = await startUpstream((req, res) => {
    if (req.url === '/health/ready') return res.end('{}');
    req.resume();
    req.once('end', () => {
      seen.arrived++;
      if (req.url?.includes('fast')) res.end('{}');
    });
    res.on('close', () => seen.closed++);
  });
  cleanup(stuck.close);
  return { url: stuck.url, seen };
}

/** A POST of `bytes` (anonymous: each client address may have 2 MiB of bodies held at once). */
const post = (path: string, bytes: number) =>
  `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n` +
  `content-length: ${bytes + 2}\r\n\r\n"${'x'.repeat(bytes)}"`;

test('a client that goes away with requests pipelined behind its first closes every exchange with the service, not only the first, and gives their bodies’ share back', async () => {
  // Node gives an answer its connection's close only once the connection is its own: those still
  // queued behind the first went on at the service, their instance's in-flight count held for good.
  const { url: service, seen } = await stuckService();
  const url = await gateway({ AUTH_URLS: service, MAIN_URLS: service });
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  socket.on('error', () => {});
  await once(socket, 'connect');
  const body = 600 * 1024;
  socket.write(post('/main/v1/notes?n=0', body) + post('/main/v1/notes?n=1', body));
  socket.write(post('/main/v1/notes?n=2', body));
  await eventually(async () => seen.arrived === 3);
  socket.destroy();
  await eventually(async () => seen.closed === 3, 5000);
  assert.equal(await mainInFlight(url), '0');
  // 1.2 MB of queued bodies held for good left this address less than this one's 1 MB.
  const next = await fetch(`${url}/main/v1/notes?fast`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: `"${'x'.repeat(1000 * 1024)}"`,
  });
  assert.equal(next.status, 200, await next.text());
});

test('a client that goes away once its body was read whole gives its share of the body buffer back', async () => {
  // No abort to Fastify (the body had all arrived), and its answer never finishes: the share its
  // body took stayed taken, and a few such requests had every later body of the address refused
  // (429), as many from a few addresses every body anyone sent (503).
  const { url: service, seen } = await stuckService();
  const url = await gateway({ AUTH_URLS: service, MAIN_URLS: service });
  const body = `"${'x'.repeat(700 * 1024)}"`;
  for (let i = 1; i <= 4; i++) {
    const giveUp = new AbortController();
    const pending = fetch(`${url}/main/v1/notes?slow=${i}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: giveUp.signal,
    }).then(
      (response) => response.status,
      () => 'gone',
    );
    const arrived = eventually(async () => seen.arrived === i);
    arrived.catch(() => {});
    await Promise.race([arrived, pending]);
    giveUp.abort();
    assert.equal(await pending, 'gone', `request ${i}`);
  }
});

test('a client gone before its request could be sent (its token still being checked) sends nothing to the service', async () => {
  let arrived = 0;
  const stuck = await startUpstream((req, res) => {
    if (req.url === '/health/ready') return res.end('{}');
    arrived++;
  });
  cleanup(stuck.close);
  let checking = 0;
  const slowTokens: ServiceAuth = {
    ...acceptUserTokens,
    verify: async (token) => {
      checking++;
      await sleep(300);
      return acceptUserTokens.verify(token);
    },
  };
  const { app, url } = await startGateway(
    { AUTH_URLS: stuck.url, MAIN_URLS: stuck.url },
    { auth: slowTokens },
  );
  cleanup(() => app.close());
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  socket.on('error', () => {});
  await once(socket, 'connect');
  socket.write('GET /main/v1/posts HTTP/1.1\r\nhost: x\r\nauthorization: Bearer user-1\r\n\r\n');
  await eventually(async () => checking === 1);
  socket.destroy();
  await sleep(600);
  // Before: sent once its token passed, for no one, and its in-flight count never given back
  // (its answer, on a closed connection, is never written out).
  assert.equal(arrived, 0);
  assert.equal(await mainInFlight(url), '0');
});
