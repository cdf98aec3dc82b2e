import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp, loggerOptions } from '@platform/http';
import { logCapture } from '@platform/testing';
import pino from 'pino';
import { closeAtEnd, metricsOf, startGateway } from './helpers.ts';
import { eventually } from './services.ts';

/**
 * Panic routing is about a service's pool whose every instance is out (panic.ts); a service of
 * one instance (Compose's and `npm start`'s default) has nowhere else to send a request, so its
 * one instance's state changes neither routing nor the panic count.
 */
const { cleanup } = closeAtEnd();

/**
 * A real @platform/http instance of main: `/main/v1/who` answers at once with its name,
 * `/main/v1/slow` after 3 s (past an UPSTREAM_TIMEOUT of 1 s, which undici's coarse timers may
 * fire late); `slow` counts who was asked.
 */
async function startInstance(name: string, at: { host?: string; port?: number } = {}) {
  const app = await createApp({ name: `main-${name}`, logLevel: 'silent' });
  const state = { ready: true, slow: 0 };
  app.get('/main/v1/who', async () => ({ instance: name }));
  app.get('/main/v1/slow', async () => {
    state.slow++;
    await sleep(3000);
    return { instance: name };
  });
  // Its readiness switched by the test, as a database going down would.
  app.addHook('onRequest', async (request, reply) => {
    if (request.url === '/health/ready' && !state.ready) {
      await reply.code(503).send({ status: 'not ready' });
    }
  });
  await app.listen({ port: at.port ?? 0, host: at.host ?? '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  cleanup(() => app.close());
  return { url: `http://${at.host ?? '127.0.0.1'}:${port}`, port, state };
}

async function startLoggedGateway(
  env: Record<string, string | number>,
  lookup?: (host: string) => Promise<string[]>,
) {
  const logs = logCapture();
  const started = await startGateway(env, {
    logger: pino(loggerOptions('gateway', 'info'), logs.stream),
    ...(lookup ? { lookup } : {}),
  });
  cleanup(() => started.app.close());
  const lines = (msg: RegExp) =>
    logs.lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((e) => e.upstream_service === 'main' && msg.test(String(e.msg)));
  return { url: started.url, lines };
}

const panicRouted = async (url: string) =>
  Number(
    /^gateway_upstream_panic_routed_total\{[^}]*upstream_service="main"[^}]*\} (\d+)$/m.exec(
      await metricsOf(url),
    )?.[1],
  );

const healthy = async (url: string, instance: string) =>
  new RegExp(`gateway_upstream_healthy\\{[^}]*instance="${instance}"[^}]*\\} (\\d)`).exec(
    await metricsOf(url),
  )?.[1];

/** The instance each of `n` reads is answered by, in order. */
async function whoAnswers(url: string, n: number) {
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const response = await fetch(`${url}/main/v1/who?i=${i}`);
    assert.equal(response.status, 200);
    names.push(((await response.json()) as { instance: string }).instance);
  }
  return names;
}

test('the only instance of a service stays in rotation after a timed-out request: no panic routing, no alert', async () => {
  const main = await startInstance('only');
  const { url, lines } = await startLoggedGateway({
    AUTH_URLS: main.url,
    MAIN_URLS: main.url,
    UPSTREAM_TIMEOUT: 1,
    // Passive health alone: no poll ends the ejection early.
    HEALTH_INTERVAL_MS: 60_000,
    UPSTREAM_EJECT_MS: 60_000,
  });
  assert.equal((await fetch(`${url}/main/v1/slow`)).status, 504);
  assert.deepEqual(await whoAnswers(url, 5), ['only', 'only', 'only', 'only', 'only']);
  // Before: ejected, so each of those five was counted as panic-routed (with the warning that
  // every instance is out), and a slow endpoint's occasional timeout kept GatewayPanicRouting
  // (critical) firing for the default deployment.
  assert.equal(await panicRouted(url), 0);
  assert.deepEqual(lines(/panic routing/), []);
  assert.equal(await healthy(url, main.url), '1');
  // The failure itself is still counted where every answer is: a 504 of main's.
  assert.match(
    await metricsOf(url),
    /^gateway_request_duration_seconds_count\{[^}]*service="main"[^}]*status_code="504"[^}]*\} 1$/m,
  );
});

test('the only instance, not ready by its own word, still gets every request, and that is no panic', async () => {
  const main = await startInstance('only');
  const { url, lines } = await startLoggedGateway({
    AUTH_URLS: main.url,
    MAIN_URLS: main.url,
    HEALTH_INTERVAL_MS: 100,
  });
  main.state.ready = false;
  await eventually(async () => (await healthy(url, main.url)) === '0');
  assert.deepEqual(await whoAnswers(url, 3), ['only', 'only', 'only']);
  // Before: counted, and logged as a panic.
  assert.equal(await panicRouted(url), 0);
  assert.deepEqual(lines(/panic routing/), []);
});

test('of two instances, one timed out is no panic (the other takes every request); both timed out is, counted', async () => {
  const a = await startInstance('a');
  const b = await startInstance('b');
  const { url, lines } = await startLoggedGateway({
    AUTH_URLS: a.url,
    MAIN_URLS: `${a.url},${b.url}`,
    UPSTREAM_TIMEOUT: 1,
    HEALTH_INTERVAL_MS: 60_000,
    UPSTREAM_EJECT_MS: 60_000,
  });
  assert.equal((await fetch(`${url}/main/v1/slow?first`)).status, 504);
  const [timedOut, other] = a.state.slow === 1 ? ['a', 'b'] : ['b', 'a'];
  assert.deepEqual(await whoAnswers(url, 4), [other, other, other, other]);
  assert.equal(await panicRouted(url), 0);
  // The other one times out too: every instance is out, and the pool of two is in panic.
  assert.equal((await fetch(`${url}/main/v1/slow?second`)).status, 504);
  assert.equal(a.state.slow + b.state.slow, 2);
  const answered = await whoAnswers(url, 4);
  assert.ok(answered.includes(timedOut) && answered.includes(other), answered.join(' '));
  assert.equal(await panicRouted(url), 4);
  assert.equal(lines(/every instance is out/).length, 1);
});

test('a pool in panic that a DNS refresh leaves with one instance, still ejected, is out of panic', async () => {
  // Two replicas behind one name on one port, as Compose or a headless Service gives them.
  const a = await startInstance('a', { host: '127.0.0.1' });
  const b = await startInstance('b', { host: '127.0.0.2', port: a.port });
  let answer = ['127.0.0.1', '127.0.0.2'];
  const { url, lines } = await startLoggedGateway(
    {
      AUTH_URLS: a.url,
      MAIN_URLS: `http://replicas.test:${a.port}`,
      DNS_REFRESH_MS: 100,
      UPSTREAM_TIMEOUT: 1,
      HEALTH_INTERVAL_MS: 60_000,
      UPSTREAM_EJECT_MS: 60_000,
    },
    async () => answer,
  );
  // Both time out, one after the other: both ejected, and a read is panic-routed.
  for (const n of [1, 2]) assert.equal((await fetch(`${url}/main/v1/slow?n=${n}`)).status, 504);
  assert.deepEqual([a.state.slow, b.state.slow], [1, 1]);
  await whoAnswers(url, 1);
  assert.equal(await panicRouted(url), 1);
  // b leaves the answer; a, still ejected, is the service's only instance.
  answer = ['127.0.0.1'];
  await eventually(async () => !/instance="http:\/\/127\.0\.0\.2/.test(await metricsOf(url)));
  assert.deepEqual(await whoAnswers(url, 3), ['a', 'a', 'a']);
  // Before: each counted, and the panic never said it ended.
  assert.equal(await panicRouted(url), 1);
  assert.equal(lines(/panic routing ends/).length, 1);
  assert.equal(await healthy(url, a.url), '1');
});
