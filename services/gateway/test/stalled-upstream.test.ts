import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test } from 'node:test';
import { loggerOptions } from '@platform/http';
import { logCapture } from '@platform/testing';
import pino from 'pino';
import { failureOf } from '../src/proxy/failures.ts';
import {
  closeAtEnd,
  deadUrl,
  echo,
  metricsOf,
  startGateway,
  startUpstream,
  type Upstream,
} from './helpers.ts';
import { eventually } from './services.ts';

const { cleanup, gateway } = closeAtEnd();

/**
 * A service in a process of its own, so that stalling its event loop stalls it alone (not the
 * gateway, nor this test): `GET /stall?ms=N` blocks it for N ms before answering, as one slow
 * request did to main; `/health/ready` is 200, anything else a small JSON answer.
 */
async function startStallable(): Promise<Upstream> {
  const code = `
    const http = require('node:http');
    const server = http.createServer((req, res) => {
      const stall = /^\\/stall\\?ms=(\\d+)$/.exec(req.url);
      if (stall) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(stall[1]));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ url: req.url }));
    });
    server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
  `;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return {
    url: `http://127.0.0.1:${Number(chunk.toString())}`,
    close: async () => {
      if (child.exitCode === null) {
        child.kill();
        await once(child, 'exit');
      }
    },
  };
}

const healthy = async (url: string, upstream: string) => {
  const metrics = await metricsOf(url);
  const line = new RegExp(`gateway_upstream_healthy\\{[^}]*instance="${upstream}"[^}]*\\} (\\d)`);
  return line.exec(metrics)?.[1];
};

const panicRouted = async (url: string) => {
  const metrics = await metricsOf(url);
  const line = /gateway_upstream_panic_routed_total\{upstream_service="main"[^}]*\} (\d+)/.exec(
    metrics,
  );
  return Number(line?.[1] ?? 0);
};

test('one stall past a health poll’s timeout takes no instance out (3 failed polls in a row do)', async () => {
  const main = await startStallable();
  cleanup(main.close);
  // Polls every second with a 1 s timeout: a 2.5 s stall fails at most two polls in a row.
  const url = await gateway({ AUTH_URLS: main.url, MAIN_URLS: main.url, HEALTH_INTERVAL_MS: 1000 });
  assert.equal((await fetch(`${url}/main/v1/posts`)).status, 200);

  const stalled = fetch(`${main.url}/stall?ms=2500`).then((r) => r.text());
  const seen = new Set<string | undefined>();
  const statuses = new Set<number>();
  let watching = true;
  const watch = (async () => {
    while (watching) {
      seen.add(await healthy(url, main.url));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  // A request every 100 ms, through the stall and the second after it.
  const requests: Promise<void>[] = [];
  for (let i = 0; i < 40; i++) {
    requests.push(
      fetch(`${url}/main/v1/posts?i=${i}`).then(async (response) => {
        await response.arrayBuffer();
        statuses.add(response.status);
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await Promise.all([stalled, ...requests]);
  watching = false;
  await watch;
  assert.deepEqual([...statuses], [200]);
  assert.deepEqual([...seen], ['1']);
  assert.equal(await panicRouted(url), 0);
});

test('with every instance out, requests still go to them (panic routing), counted', async () => {
  const [a, b] = await Promise.all([startStallable(), startStallable()]);
  cleanup(a.close, b.close);
  // Polls every 100 ms with a 100 ms timeout: a 3 s stall of both fails many polls in a row.
  const url = await gateway({
    AUTH_URLS: a.url,
    MAIN_URLS: `${a.url},${b.url}`,
    HEALTH_INTERVAL_MS: 100,
  });
  assert.equal((await fetch(`${url}/main/v1/posts`)).status, 200);
  const stalls = [a, b].map((s) => fetch(`${s.url}/stall?ms=3000`).then((r) => r.text()));
  // Both out by active health.
  await eventually(
    async () => (await healthy(url, a.url)) === '0' && (await healthy(url, b.url)) === '0',
  );
  // Was a certain 503 at once; now the request waits for a stalled instance and is answered.
  const response = await fetch(`${url}/main/v1/posts?during=stall`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { url: '/main/v1/posts?during=stall' });
  assert.ok((await panicRouted(url)) >= 1);
  await Promise.all(stalls);
  // Back in once a poll finds them ready; then no more panic routing.
  await eventually(
    async () => (await healthy(url, a.url)) === '1' && (await healthy(url, b.url)) === '1',
  );
  const before = await panicRouted(url);
  for (let i = 0; i < 4; i++) assert.equal((await fetch(`${url}/main/v1/posts`)).status, 200);
  assert.equal(await panicRouted(url), before);
});

test('a service’s panic is logged once when it starts and once when it ends, whatever its routes', async () => {
  // Both not ready by their own word (503 from /health/ready), answering everything else. Two: a
  // service of one instance is never in panic (single-instance.test.ts).
  const state = { ready: true };
  const instance = (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/health/ready') {
      res.statusCode = state.ready ? 200 : 503;
      res.end('{}');
    } else echo('main')(req, res);
  };
  const main = await startUpstream(instance);
  const peer = await startUpstream(instance);
  cleanup(main.close, peer.close);
  const logs = logCapture();
  const started = await startGateway(
    { AUTH_URLS: main.url, MAIN_URLS: `${main.url},${peer.url}`, HEALTH_INTERVAL_MS: 100 },
    { logger: pino(loggerOptions('gateway', 'info'), logs.stream) },
  );
  cleanup(() => started.app.close());
  const { url } = started;
  const lines = (msg: RegExp) =>
    logs.lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((e) => e.upstream_service === 'main' && msg.test(String(e.msg)));
  state.ready = false;
  await eventually(
    async () => (await healthy(url, main.url)) === '0' && (await healthy(url, peer.url)) === '0',
  );
  // GET /main/v1/posts is an exact route of its own (main's manifest `edge`), the rest of
  // /main/v1 the catch-all's: one service, one panic.
  for (const path of ['/main/v1/posts', '/main/v1/categories', '/main/v1/posts?x=1']) {
    assert.equal((await fetch(`${url}${path}`)).status, 200);
  }
  assert.equal(lines(/panic routing\)$/).length, 1);
  state.ready = true;
  await eventually(
    async () => (await healthy(url, main.url)) === '1' && (await healthy(url, peer.url)) === '1',
  );
  for (const path of ['/main/v1/categories', '/main/v1/posts?y=1']) {
    assert.equal((await fetch(`${url}${path}`)).status, 200);
  }
  assert.equal(lines(/panic routing ends/).length, 1);
});

test('an instance that could not be reached is no panic route while ejected: a 503 at once', async () => {
  // Refused: connection refused, or (failureOf) none taken within UPSTREAM_CONNECT_TIMEOUT_MS,
  // which a black-holed instance made every panic-routed request wait out.
  assert.equal(failureOf(connectTimeout, 'main').unreachable, true);
  const dead = await deadUrl();
  // No poll within the test: passive health alone.
  const url = await gateway({ AUTH_URLS: dead, MAIN_URLS: dead, HEALTH_INTERVAL_MS: 60_000 });
  // The first request finds the connection refused, and the instance is ejected.
  assert.equal((await fetch(`${url}/main/v1/posts`)).status, 503);
  // While it is out, a 503 without trying it again: before, panic routing sent every request
  // to it (counted), each a new connection attempt.
  for (let i = 0; i < 3; i++) {
    assert.equal((await fetch(`${url}/main/v1/posts?i=${i}`)).status, 503);
  }
  assert.equal(await panicRouted(url), 0);
});

/** What undici rejects with when no connection came within the connect timeout. */
const connectTimeout = Object.assign(new Error('fetch failed'), {
  cause: Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' }),
});
