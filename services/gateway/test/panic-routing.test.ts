import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeAtEnd, metricsOf, startUpstream } from './helpers.ts';
import { eventually } from './services.ts';

const { cleanup, gateway } = closeAtEnd();

const healthy = async (url: string, upstream: string) => {
  const line = new RegExp(`gateway_upstream_healthy\\{[^}]*instance="${upstream}"[^}]*\\} (\\d)`);
  return line.exec(await metricsOf(url))?.[1];
};

/**
 * As @platform/http answers every request once its close began (closing.ts), but without the
 * closing mark (x-internal-closing-refusal) that has the gateway send a request elsewhere: an
 * instance that answers everything 503 at once (closing-instance.test.ts has the marked refusal).
 */
function shuttingDown(_req: IncomingMessage, res: ServerResponse) {
  res.statusCode = 503;
  res.setHeader('content-type', 'application/problem+json');
  res.setHeader('connection', 'close');
  res.setHeader('retry-after', '1');
  res.end(JSON.stringify({ status: 503, code: 'service_unavailable' }));
}

/** Two instances answering alike, closed at the end. */
async function twice(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const both = await Promise.all([startUpstream(handler), startUpstream(handler)]);
  cleanup(...both.map((upstream) => upstream.close));
  return both;
}

/** Not ready by its own word (its database down, say), yet answering everything else slowly. */
const slowButWorking =
  (delayMs: number, also: (req: IncomingMessage, res: ServerResponse) => boolean = () => false) =>
  (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/health/ready') {
      res.statusCode = 503;
      res.end('{}');
      return;
    }
    if (also(req, res)) return;
    setTimeout(() => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ url: req.url }));
    }, delayMs);
  };

test('under panic routing, an instance that answers 503 at once (shutting down) loses its turn to a slow peer that answers', async () => {
  const closing = await startUpstream(shuttingDown);
  const slow = await startUpstream(slowButWorking(150));
  cleanup(closing.close, slow.close);
  const url = await gateway({
    AUTH_URLS: slow.url,
    MAIN_URLS: `${closing.url},${slow.url}`,
    HEALTH_INTERVAL_MS: 100,
  });
  await eventually(
    async () => (await healthy(url, closing.url)) === '0' && (await healthy(url, slow.url)) === '0',
  );
  // Four clients, five requests each, one after another: the slow instance always holds some in
  // flight, the closing one none. By fewest in flight alone, nearly all went to the 503s.
  const statuses: number[] = [];
  await Promise.all(
    Array.from({ length: 4 }, async (_, client) => {
      for (let i = 0; i < 5; i++) {
        const response = await fetch(`${url}/main/v1/categories?c=${client}&i=${i}`);
        await response.arrayBuffer();
        statuses.push(response.status);
      }
    }),
  );
  const unavailable = statuses.filter((s) => s === 503).length;
  // At most the first requests, sent before its first 503 came back.
  assert.ok(unavailable <= 4, `${unavailable} of 20 answered 503: ${statuses.join(' ')}`);
  assert.equal(statuses.filter((s) => s === 200).length, 20 - unavailable);
});

test('under panic routing, an instance that resets every connection loses its turn too (a write is not retried)', async () => {
  const resetting = await startUpstream((req) => req.socket.destroy());
  const slow = await startUpstream(slowButWorking(150));
  cleanup(resetting.close, slow.close);
  const url = await gateway({
    AUTH_URLS: slow.url,
    MAIN_URLS: `${resetting.url},${slow.url}`,
    HEALTH_INTERVAL_MS: 100,
  });
  // The resetting one gives no answer to a poll: out after three in a row.
  await eventually(
    async () =>
      (await healthy(url, resetting.url)) === '0' && (await healthy(url, slow.url)) === '0',
  );
  const statuses: number[] = [];
  await Promise.all(
    Array.from({ length: 4 }, async (_, client) => {
      for (let i = 0; i < 5; i++) {
        const response = await fetch(`${url}/main/v1/categories?c=${client}&i=${i}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        await response.arrayBuffer();
        statuses.push(response.status);
      }
    }),
  );
  const failed = statuses.filter((s) => s === 502).length;
  assert.ok(failed <= 4, `${failed} of 20 answered 502: ${statuses.join(' ')}`);
  assert.equal(statuses.filter((s) => s === 200).length, 20 - failed);
});

test('under panic routing, the answers a closing instance still owes (sent before it began to close) do not put it back in turn', async () => {
  // Drains what it had in flight, each a 200 after its close began: those say nothing of a
  // request sent now. Each one put it back in turn, and its next request got a 503.
  let closing = false;
  let owed = 0;
  let paid = 0;
  /** For each 503 it answered a proxied request with: how many it owed it had answered then. */
  const refusedAfter: number[] = [];
  const draining = await startUpstream((req, res) => {
    if (req.url === '/health/ready') return shuttingDown(req, res);
    if (closing) {
      refusedAfter.push(paid);
      return shuttingDown(req, res);
    }
    const delayMs = 250 + 100 * owed++;
    setTimeout(() => {
      paid++;
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    }, delayMs);
  });
  let alsoOwed = 0;
  const slow = await startUpstream(
    slowButWorking(100, (req) => {
      if (req.url?.startsWith('/main/v1/slow')) alsoOwed++;
      return false;
    }),
  );
  cleanup(draining.close, slow.close);
  const url = await gateway({
    AUTH_URLS: slow.url,
    MAIN_URLS: `${draining.url},${slow.url}`,
    HEALTH_INTERVAL_MS: 100,
  });
  await eventually(
    async () =>
      (await healthy(url, draining.url)) === '0' && (await healthy(url, slow.url)) === '0',
  );
  // Twelve at once, about six on each instance: the draining one owes them, answered 250 ms on,
  // one every 100 ms.
  const owing = Array.from({ length: 12 }, async (_, i) => {
    const response = await fetch(`${url}/main/v1/slow?i=${i}`);
    await response.arrayBuffer();
    return response.status;
  });
  await eventually(async () => owed + alsoOwed === 12);
  closing = true;
  assert.ok(owed >= 3, `the draining instance owes only ${owed}`);
  const statuses: number[] = [];
  await Promise.all(
    Array.from({ length: 4 }, async (_, client) => {
      for (let i = 0; i < 8; i++) {
        const response = await fetch(`${url}/main/v1/categories?c=${client}&i=${i}`);
        await response.arrayBuffer();
        statuses.push(response.status);
      }
    }),
  );
  assert.deepEqual(await Promise.all(owing), Array(12).fill(200));
  assert.equal(statuses.filter((s) => s === 503).length, refusedAfter.length);
  // Refused when first picked after its close began (those sent before its first 503 came back),
  // then passed over. Before: picked again after each answer it owed, and a 503 each time. A
  // request sent just before the first 503 came back may reach the instance just after one more
  // answer it owed (seen in CI under load: after 1, then 2), but not after two more.
  assert.ok(
    refusedAfter.every((n) => n - refusedAfter[0]! <= 1),
    `503s after ${refusedAfter.join(', ')} of the ${owed} answers it owed`,
  );
});

test('under panic routing, a 503 one route answers (its own load shedding) does not take the instance out for the rest', async () => {
  // As analytics' query limiter or auth's avatar queue answer when full: the instance is fine and
  // keeps its connection; only that route is busy. A client can provoke it at will.
  const shedding = (name: string, busy: boolean) =>
    slowButWorking(100, (req, res) => {
      res.setHeader('x-instance', name);
      if (!busy || !req.url?.startsWith('/main/v1/busy')) return false;
      res.statusCode = 503;
      res.setHeader('content-type', 'application/problem+json');
      res.setHeader('retry-after', '1');
      res.end(JSON.stringify({ status: 503, code: 'service_unavailable' }));
      return true;
    });
  const busy = await startUpstream(shedding('busy', true));
  const other = await startUpstream(shedding('other', false));
  cleanup(busy.close, other.close);
  const url = await gateway({
    AUTH_URLS: other.url,
    MAIN_URLS: `${busy.url},${other.url}`,
    HEALTH_INTERVAL_MS: 100,
  });
  await eventually(
    async () => (await healthy(url, busy.url)) === '0' && (await healthy(url, other.url)) === '0',
  );
  // Two at once, so that one goes to each instance and the busy one answers its 503 (again if
  // the machine was too slow for them to overlap).
  let shed = false;
  for (let round = 0; round < 5 && !shed; round++) {
    const statuses = await Promise.all(
      [0, 1].map(async (i) => {
        const response = await fetch(`${url}/main/v1/busy?r=${round}&i=${i}`);
        await response.arrayBuffer();
        return response.status;
      }),
    );
    shed = statuses.includes(503);
  }
  assert.ok(shed, 'the busy route never answered 503');
  // Two equally slow instances share the other routes, the busy one included.
  const answeredBy: string[] = [];
  await Promise.all(
    Array.from({ length: 4 }, async (_, client) => {
      for (let i = 0; i < 5; i++) {
        const response = await fetch(`${url}/main/v1/categories?c=${client}&i=${i}`);
        await response.arrayBuffer();
        assert.equal(response.status, 200);
        answeredBy.push(response.headers.get('x-instance') ?? '?');
      }
    }),
  );
  const fromBusy = answeredBy.filter((name) => name === 'busy').length;
  // Before: none for the eject period (10 s), every request on the other one.
  assert.ok(fromBusy >= 5, `the busy instance answered ${fromBusy} of 20: ${answeredBy.join(' ')}`);
});

test('under panic routing, idle instances still take turns: requests one after another reach each', async () => {
  const named = (name: string) =>
    slowButWorking(0, (_req, res) => {
      res.setHeader('x-instance', name);
      return false;
    });
  const one = await startUpstream(named('one'));
  const two = await startUpstream(named('two'));
  cleanup(one.close, two.close);
  const url = await gateway({
    AUTH_URLS: one.url,
    MAIN_URLS: `${one.url},${two.url}`,
    HEALTH_INTERVAL_MS: 100,
  });
  await eventually(
    async () => (await healthy(url, one.url)) === '0' && (await healthy(url, two.url)) === '0',
  );
  const answeredBy: string[] = [];
  for (let i = 0; i < 10; i++) {
    const response = await fetch(`${url}/main/v1/categories?i=${i}`);
    await response.arrayBuffer();
    answeredBy.push(response.headers.get('x-instance') ?? '?');
  }
  // Before: a panic pick scanned twice (pick, then pickAny), each moving the scan's start on, so
  // with two instances every idle tie went to the same one: a client waiting for each answer
  // (its 504 from a stalled instance included) never reached the other.
  assert.ok(
    answeredBy.includes('one') && answeredBy.includes('two'),
    `answered by ${answeredBy.join(' ')}`,
  );
});

test('with every instance out, /docs still fetches a service’s document, as proxied routes are still routed', async () => {
  // Two: a service of one instance is never in panic (single-instance.test.ts).
  const [main, peer] = await twice(
    slowButWorking(0, (req, res) => {
      if (req.url !== '/main/v1/openapi.json') return false;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          openapi: '3.1.0',
          info: { title: 'main', version: '1.0.0' },
          paths: { '/main/v1/things': { get: { summary: 'list things', responses: {} } } },
        }),
      );
      return true;
    }),
  );
  const url = await gateway({
    AUTH_URLS: main.url,
    MAIN_URLS: `${main.url},${peer.url}`,
    HEALTH_INTERVAL_MS: 100,
  });
  await eventually(
    async () => (await healthy(url, main.url)) === '0' && (await healthy(url, peer.url)) === '0',
  );
  assert.equal((await fetch(`${url}/main/v1/posts`)).status, 200);
  const spec = (await (await fetch(`${url}/docs/json`)).json()) as {
    paths: Record<string, unknown>;
  };
  assert.ok(spec.paths['/main/v1/things'], 'main’s paths are missing from /docs');
});

test('with every instance out, the cache-version feed still asks them: kept pages are served', async () => {
  const asked: string[] = [];
  const [main, peer] = await twice(
    slowButWorking(0, (req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url?.startsWith('/internal/cache-version')) {
        asked.push(req.url);
        res.end(JSON.stringify({ version: '7' }));
        return true;
      }
      if (req.url?.startsWith('/main/v1/posts')) {
        res.setHeader('etag', '"page-1"');
        res.setHeader('cache-control', 'public, no-cache');
        res.end(JSON.stringify({ items: [], next_cursor: null }));
        return true;
      }
      return false;
    }),
  );
  const url = await gateway({
    AUTH_URLS: main.url,
    MAIN_URLS: `${main.url},${peer.url}`,
    HEALTH_INTERVAL_MS: 100,
    RESPONSE_CACHE_FEED_MS: 100,
    RESPONSE_CACHE_FEED_WAIT: 0,
    RESPONSE_CACHE_MAX_STALENESS_MS: 5000,
  });
  await eventually(
    async () => (await healthy(url, main.url)) === '0' && (await healthy(url, peer.url)) === '0',
  );
  // Kept (panic-routed), which starts the feed for main.
  assert.equal((await fetch(`${url}/main/v1/posts`)).status, 200);
  const hits = async () =>
    Number(
      /^gateway_cache_lookups_total\{[^}]*service="main"[^}]*result="hit"[^}]*\} (\d+)/m.exec(
        await metricsOf(url),
      )?.[1] ?? 0,
    );
  // Before: "no main instance is available", every round; nothing was ever confirmed.
  for (let i = 0; i < 100 && (await hits()) === 0; i++) {
    await (await fetch(`${url}/main/v1/posts`)).arrayBuffer();
    await sleep(100);
  }
  assert.ok(asked.length >= 1, 'the feed never asked main');
  assert.ok((await hits()) >= 1, 'no kept page was served');
});

/**
 * Two instances of main behind a gateway: one that resets every request (ready by its polls when
 * `resettingReady`, out otherwise) and one out by its own word that answers slowly but works;
 * returns once the gateway sees them so.
 */
async function resettingAndOut(resettingReady: boolean) {
  const resetting = await startUpstream((req, res) => {
    if (req.url === '/health/ready') {
      res.statusCode = resettingReady ? 200 : 503;
      res.setHeader('content-type', 'application/json');
      res.end(resettingReady ? '{"status":"ok"}' : '{}');
      return;
    }
    req.socket.destroy();
  });
  const out = await startUpstream(slowButWorking(0));
  cleanup(resetting.close, out.close);
  const url = await gateway({
    AUTH_URLS: out.url,
    MAIN_URLS: `${resetting.url},${out.url}`,
    HEALTH_INTERVAL_MS: 100,
  });
  await eventually(
    async () =>
      (await healthy(url, resetting.url)) === (resettingReady ? '1' : '0') &&
      (await healthy(url, out.url)) === '0',
  );
  return { url };
}

test('a read retried on an instance that is out, while the one that reset it is still in, is no panic', async () => {
  // Ready by its polls, but its connection broke under this read: the retry goes to the peer,
  // out by its own word, as it has nowhere else to go. The service still has an instance in.
  const { url } = await resettingAndOut(true);
  for (let i = 0; i < 3; i++) {
    const response = await fetch(`${url}/main/v1/categories?i=${i}`);
    await response.arrayBuffer();
    assert.equal(response.status, 200);
  }
  // Before: each counted as panic routing (with the warning that every instance is out), toward
  // a critical GatewayPanicRouting for a service whose instance was in.
  assert.match(
    await metricsOf(url),
    /^gateway_upstream_panic_routed_total\{[^}]*upstream_service="main"[^}]*\} 0$/m,
  );
});

test('a panic-routed read retried on the other instance, out too, is counted once', async () => {
  // Both out by their own word; one resets every request, so the read it gets goes to the other.
  const { url } = await resettingAndOut(false);
  const count = (metrics: string, name: string) =>
    Number(
      new RegExp(`^${name}\\{[^}]*upstream_service="main"[^}]*\\} (\\d+)$`, 'm').exec(metrics)?.[1],
    );
  // Idle instances take turns: one of the first two reads goes to the resetting one first.
  let sent = 0;
  let metrics = '';
  let retried = false;
  while (!retried && sent < 6) {
    const response = await fetch(`${url}/main/v1/categories?i=${sent++}`);
    await response.arrayBuffer();
    assert.equal(response.status, 200);
    metrics = await metricsOf(url);
    retried =
      /^gateway_upstream_retries_total\{[^}]*upstream_service="main",reason="no_answer"[^}]*\} 1$/m.test(
        metrics,
      );
  }
  assert.ok(retried, 'no read went to the resetting instance');
  // At most one count a request: before, the retried one was counted again (3 for 2 requests).
  const panicked = count(metrics, 'gateway_upstream_panic_routed_total');
  assert.ok(panicked <= sent, `${panicked} counted for ${sent} requests`);
  assert.ok(panicked >= 1);
});

test('the panic counter is at 0 for every service from the start: the alert’s increase() sees the first panic', async () => {
  const main = await startUpstream(slowButWorking(0));
  cleanup(main.close);
  const url = await gateway({ AUTH_URLS: main.url, MAIN_URLS: main.url, HEALTH_INTERVAL_MS: 100 });
  const metrics = await metricsOf(url);
  // A series that appears at 1 has no earlier sample to increase from (GatewayPanicRouting).
  for (const service of ['auth', 'main']) {
    assert.match(
      metrics,
      new RegExp(
        `^gateway_upstream_panic_routed_total\\{[^}]*upstream_service="${service}"[^}]*\\} 0$`,
        'm',
      ),
    );
  }
});
