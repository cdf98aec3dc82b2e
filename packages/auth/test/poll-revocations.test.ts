import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type PollOptions, pollRevocations, type RevocationList } from '@platform/auth';

interface Entry {
  id: number;
  session_id: string;
  expires_at: string;
}

/** A stand-in for the auth service's feed; `answer` can be swapped to simulate failures. */
async function fakeFeed() {
  const entries: Entry[] = [];
  const requests: URL[] = [];
  const tokens: (string | undefined)[] = [];
  const serveFeed = (url: URL, res: ServerResponse) => {
    const afterId = Number(url.searchParams.get('after'));
    const limit = Number(url.searchParams.get('limit'));
    const items = entries.filter((e) => e.id > afterId).slice(0, limit);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ items, last_id: items.at(-1)?.id ?? afterId }));
  };
  // Long-poll answers waiting for an entry (feed.holding = true: the feed honours `wait`).
  const waiting = new Set<() => void>();
  const state = {
    holding: false,
    entries,
    requests,
    tokens,
    answer: serveFeed as (url: URL, res: ServerResponse) => void,
    serveFeed,
    add(sessionId: string, ttlMs = 60_000) {
      const id = entries.length + 1;
      entries.push({
        id,
        session_id: sessionId,
        expires_at: new Date(Date.now() + ttlMs).toISOString(),
      });
      for (const wake of [...waiting]) wake();
    },
  };
  const server = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url);
    tokens.push(req.headers['x-service-token'] as string | undefined);
    const wait = Number(url.searchParams.get('wait') ?? 0);
    const nothingNew = !entries.some((e) => e.id > Number(url.searchParams.get('after')));
    if (!state.holding || wait === 0 || !nothingNew) return state.answer(url, res);
    const wake = () => {
      clearTimeout(timer);
      waiting.delete(wake);
      state.answer(url, res);
    };
    const timer = setTimeout(wake, wait * 1000);
    waiting.add(wake);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, { url: `http://127.0.0.1:${port}` });
}

const serviceToken = 'feed-reader-token-0123456789abcdef0123';
const poll = (options: Omit<PollOptions, 'serviceToken'>) =>
  pollRevocations({ ...options, serviceToken });

function follow(list: RevocationList) {
  after(() => list.close());
  return list;
}

async function eventually(check: () => boolean, ms = 1000) {
  const start = Date.now();
  while (!check()) {
    assert.ok(Date.now() - start < ms, `not true within ${ms} ms`);
    await sleep(5);
  }
}

// Side by side: each test follows a feed of its own (its own server and list), and most of their
// time is waiting on a poll interval or a held request (sequentially, ~7 s of sleeps).
describe('following the revocation feed', { concurrency: true }, () => {
  test('start() resolves after the first sync, with every entry known', async () => {
    const feed = await fakeFeed();
    for (let i = 0; i < 2500; i++) feed.add(`s${i}`);
    const list = follow(poll({ authUrl: `${feed.url}/`, intervalMs: 50 }));
    await assert.rejects(list.ready());
    await list.start();
    await list.ready();
    assert.equal(list.isRevoked('s0'), true);
    assert.equal(list.isRevoked('s2499'), true);
    assert.equal(list.isRevoked('other'), false);
    assert.equal(feed.requests[0]?.pathname, '/internal/revocations');
    assert.ok(feed.tokens.every((t) => t === serviceToken));
    assert.deepEqual(
      feed.requests.slice(0, 3).map((u) => u.searchParams.get('after')),
      ['0', '1000', '2000'],
    );
  });

  test('new entries are picked up by id on the next round', async () => {
    const feed = await fakeFeed();
    feed.add('first');
    const list = follow(poll({ authUrl: feed.url, intervalMs: 20 }));
    await list.start();
    feed.add('second');
    await eventually(() => list.isRevoked('second'), 500);
    await eventually(() => feed.requests.at(-1)?.searchParams.get('after') === '2', 500);
  });

  test('an entry stops counting once it expires', async () => {
    const feed = await fakeFeed();
    // Long enough that a loaded machine (CI, two tiers beside each other) still starts in time.
    const expiresAt = Date.now() + 1500;
    feed.add('brief', 1500);
    const list = follow(poll({ authUrl: feed.url, intervalMs: 20 }));
    await list.start();
    assert.ok(Date.now() < expiresAt, 'the list started before the entry expired');
    assert.equal(list.isRevoked('brief'), true);
    await sleep(expiresAt - Date.now() + 50);
    assert.equal(list.isRevoked('brief'), false);
  });

  test('it keeps polling through errors and bad answers, and reports them without throwing', async () => {
    const feed = await fakeFeed();
    feed.add('revoked');
    const errors: unknown[] = [];
    feed.answer = (_url, res) => {
      res.statusCode = 503;
      res.end('down');
    };
    const list = follow(
      poll({ authUrl: feed.url, intervalMs: 20, onError: (e) => errors.push(e) }),
    );
    const started = list.start();
    await eventually(() => errors.length >= 1);
    await assert.rejects(list.ready());
    assert.equal(list.isRevoked('revoked'), false);
    feed.answer = (_url, res) => res.end('{"not":"a feed"}');
    await eventually(() => errors.length >= 2, 2500);
    feed.answer = feed.serveFeed;
    await started;
    assert.equal(list.isRevoked('revoked'), true);
  });

  test('an unreachable auth service is survived, and close() releases whoever awaits start()', async () => {
    const feed = await fakeFeed();
    const list = follow(poll({ authUrl: 'http://127.0.0.1:1', intervalMs: 20 }));
    const started = list.start();
    await sleep(100);
    await assert.rejects(list.ready());
    await list.close();
    await started;
    assert.equal(feed.requests.length, 0);
  });

  test('close() stops polling', async () => {
    const feed = await fakeFeed();
    const list = poll({ authUrl: feed.url, intervalMs: 10 });
    await list.start();
    await list.close();
    const count = feed.requests.length;
    await sleep(100);
    assert.equal(feed.requests.length, count);
  });

  const waits = (requests: URL[]) => requests.map((u) => u.searchParams.get('wait'));

  test('it long-polls: the first sync asks at once, then each request waits and follows the last', async () => {
    const feed = await fakeFeed();
    feed.holding = true;
    const list = follow(poll({ authUrl: feed.url, waitSeconds: 1, intervalMs: 50 }));
    await list.start();
    assert.deepEqual(waits(feed.requests), [null]);
    await sleep(2500);
    // The first sync, then one held request per second (plain polling would have made ~50).
    assert.ok(feed.requests.length <= 5, `${feed.requests.length} requests`);
    assert.ok(feed.requests.length >= 3, `${feed.requests.length} requests`);
    assert.deepEqual(waits(feed.requests.slice(1)), Array(feed.requests.length - 1).fill('1'));
    // An entry added while a request is held answers it, and the next request is made at once.
    const count = feed.requests.length;
    feed.add('held');
    await eventually(() => list.isRevoked('held'), 500);
    await eventually(() => feed.requests.length > count, 500);
    assert.equal(feed.requests.at(-1)?.searchParams.get('after'), '1');
    assert.equal(feed.requests.at(-1)?.searchParams.get('wait'), '1');
  });

  test('against a feed that ignores wait (an older auth) it keeps to its interval, never spins', async () => {
    const feed = await fakeFeed();
    const list = follow(poll({ authUrl: feed.url, waitSeconds: 25, intervalMs: 100 }));
    await list.start();
    await sleep(1000);
    const count = feed.requests.length;
    // Every ~100 ms (spinning would be thousands), each asking to wait.
    assert.ok(count >= 4 && count <= 15, `${count} requests in 1 s`);
    assert.ok(waits(feed.requests.slice(1)).every((w) => w === '25'));
    feed.add('late');
    await eventually(() => list.isRevoked('late'), 500);
  });

  test('its request timeout counts from the end of the wait, so a held request is not cut short', async () => {
    const feed = await fakeFeed();
    feed.holding = true;
    const errors: unknown[] = [];
    const list = follow(
      poll({ authUrl: feed.url, waitSeconds: 1, timeoutMs: 300, onError: (e) => errors.push(e) }),
    );
    await list.start();
    await sleep(2500);
    assert.deepEqual(errors, []);
    assert.ok(feed.requests.length >= 3);
  });
});
