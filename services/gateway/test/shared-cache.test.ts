import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { closeAtEnd, metricsOf, rawGet, startGateway, startUpstream } from './helpers.ts';
import {
  eventually,
  post,
  type RunningService,
  signUp,
  startAuthService,
  startMainService,
} from './services.ts';

interface Page {
  items: { id: string; title: string; status: string }[];
  next_cursor: string | null;
}

/** `gateway_cache_lookups_total` for main, by result, from the gateway's metrics port. */
async function lookups(url: string) {
  const text = await metricsOf(url);
  const read = (result: string) =>
    Number(
      new RegExp(`^gateway_cache_lookups_total\\{[^}]*result="${result}"[^}]*\\} (\\d+)`, 'm').exec(
        text,
      )?.[1] ?? 0,
    );
  return { hit: read('hit'), miss: read('miss') };
}

/** GETs `path` until the gateway answers it from its cache (the feed has confirmed its version). */
async function untilHit(url: string, path: string) {
  await eventually(async () => {
    const before = (await lookups(url)).hit;
    await rawGet(url, path);
    return (await lookups(url)).hit > before;
  });
}

const titles = (answer: { body: string }) =>
  (JSON.parse(answer.body) as Page).items.map((p) => p.title);

/**
 * One auth and one main service for the file: each group starts gateways of its own in front of
 * them, and the second only reads (what it checks are its own gateways' metrics).
 */
let auth: RunningService;
let main: RunningService;
const services = closeAtEnd();
before(async () => {
  auth = await startAuthService();
  services.cleanup(auth.stop);
  main = await startMainService(auth);
  services.cleanup(main.stop);
});

describe('anonymous list pages answered by the gateway itself', () => {
  /**
   * The feed asked once a minute, never held (plain polling), kept pages good for two: only its
   * own writes invalidate. With the default held poll, main answered it at each write through
   * this gateway too, and that answer, arriving late on a loaded machine, moved the generation
   * after a test had seen its page kept (a CI run: "still answered without a hop", 11 !== 12).
   */
  let quiet: string;
  /** The feed asked ten times a second, kept pages good for two minutes: only the feed can. */
  let following: string;
  const { cleanup } = closeAtEnd();

  before(async () => {
    const start = async (feedMs: number, feedWaitSeconds?: number) => {
      const gateway = await startGateway(
        {
          AUTH_URLS: auth.url,
          MAIN_URLS: main.url,
          RESPONSE_CACHE_FEED_MS: feedMs,
          RESPONSE_CACHE_MAX_STALENESS_MS: 120_000,
          ...(feedWaitSeconds === undefined ? {} : { RESPONSE_CACHE_FEED_WAIT: feedWaitSeconds }),
        },
        { auth: 'real' },
      );
      cleanup(() => gateway.app.close());
      await eventually(async () => (await fetch(`${gateway.url}/health/ready`)).status === 200);
      return gateway.url;
    };
    quiet = await start(60_000, 0);
    following = await start(100);
  });

  const publish = (base: string, token: string, title: string, status = 'published') =>
    post(
      `${base}/main/v1/posts`,
      { title, body: 'x', status },
      { authorization: `Bearer ${token}` },
    );

  test('a kept page keeps every header, the caller’s request id, and answers If-None-Match', async () => {
    const user = await signUp(quiet);
    assert.equal((await publish(quiet, user.accessToken, 'Kept')).status, 201);
    const path = `/main/v1/posts?author=${user.id}&limit=5`;
    const direct = await rawGet(main.url, path);
    await untilHit(quiet, path);

    const before = await lookups(quiet);
    const kept = await rawGet(quiet, path, { 'x-request-id': 'cached-request-1' });
    assert.equal((await lookups(quiet)).hit, before.hit + 1, 'answered without a hop');
    assert.equal(kept.status, 200);
    assert.equal(kept.body, direct.body);
    assert.equal(kept.headers.etag, direct.headers.etag);
    assert.equal(kept.headers['cache-control'], 'public, no-cache');
    assert.equal(kept.headers.vary, 'authorization');
    assert.equal(kept.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(kept.headers['content-length'], String(Buffer.byteLength(kept.body)));
    assert.equal(kept.headers['x-request-id'], 'cached-request-1');
    assert.equal(kept.headers['x-content-type-options'], 'nosniff');
    assert.equal(
      kept.headers['content-security-policy'],
      "default-src 'none'; frame-ancestors 'none'",
    );
    assert.ok(kept.headers['ratelimit-remaining'] !== undefined);
    assert.ok(kept.headers.date);
    assert.equal(kept.headers['x-internal-route'], undefined);

    const etag = String(kept.headers.etag);
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`]) {
      const hits = (await lookups(quiet)).hit;
      const notModified = await rawGet(quiet, path, { 'if-none-match': header });
      assert.equal(notModified.status, 304);
      assert.equal(notModified.body, '');
      assert.equal(notModified.headers['content-length'], undefined);
      assert.equal(notModified.headers.etag, etag);
      assert.equal((await lookups(quiet)).hit, hits + 1);
    }
    const other = await rawGet(quiet, path, { 'if-none-match': '"other"' });
    assert.equal(other.status, 200);
    assert.equal(other.body, direct.body);
  });

  test('a post created through the gateway is in the very next anonymous page', async () => {
    const user = await signUp(quiet);
    assert.equal((await publish(quiet, user.accessToken, 'First')).status, 201);
    const path = `/main/v1/posts?author=${user.id}&limit=5`;
    await untilHit(quiet, path);
    assert.deepEqual(titles(await rawGet(quiet, path)), ['First']);

    assert.equal((await publish(quiet, user.accessToken, 'Second')).status, 201);
    assert.deepEqual(titles(await rawGet(quiet, path)), ['Second', 'First']);
    // And kept again from there on.
    await untilHit(quiet, path);
    assert.deepEqual(titles(await rawGet(quiet, path)), ['Second', 'First']);

    // A write that fails changes nothing, but is not trusted not to have: the next read asks.
    const misses = (await lookups(quiet)).miss;
    const refused = await post(
      `${quiet}/main/v1/posts`,
      { title: '' },
      { authorization: `Bearer ${user.accessToken}` },
    );
    assert.equal(refused.status, 400);
    assert.deepEqual(titles(await rawGet(quiet, path)), ['Second', 'First']);
    assert.equal((await lookups(quiet)).miss, misses + 1);
  });

  test('a post written past the gateway (another replica, a job) shows up through the feed', async () => {
    const user = await signUp(following);
    assert.equal((await publish(following, user.accessToken, 'Old')).status, 201);
    const path = `/main/v1/posts?author=${user.id}&limit=5`;
    await untilHit(following, path);
    assert.deepEqual(titles(await rawGet(following, path)), ['Old']);

    // Straight to main: the gateway only hears of it from main's cache version.
    assert.equal((await publish(main.url, user.accessToken, 'New')).status, 201);
    await eventually(async () => titles(await rawGet(following, path)).join() === 'New,Old');
    await untilHit(following, path);
    assert.deepEqual(titles(await rawGet(following, path)), ['New', 'Old']);
  });

  test('a HEAD of a kept page is neither kept nor served to a GET, and leaves the kept copy current', async () => {
    const user = await signUp(quiet);
    assert.equal((await publish(quiet, user.accessToken, 'Headed')).status, 201);
    const path = `/main/v1/posts?author=${user.id}&limit=5`;
    const direct = await rawGet(main.url, path);
    // HEADs first, on a page nobody read yet: none of them may become the page a GET gets.
    for (let i = 0; i < 3; i++) {
      const head = await fetch(`${quiet}${path}`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(await head.text(), '');
      assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(direct.body)));
    }
    const first = await rawGet(quiet, path);
    assert.equal(first.body, direct.body);
    await untilHit(quiet, path);
    // With the page kept, a HEAD neither replaces it nor ends what the cache knows as current.
    for (let i = 0; i < 3; i++) {
      const head = await fetch(`${quiet}${path}`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('etag'), direct.headers.etag);
    }
    const hits = (await lookups(quiet)).hit;
    const kept = await rawGet(quiet, path);
    assert.equal(kept.body, direct.body);
    assert.equal(kept.headers['content-length'], String(Buffer.byteLength(direct.body)));
    assert.equal((await lookups(quiet)).hit, hits + 1, 'still answered without a hop');
  });

  test('drafts never reach the shared copy, and signed-in callers never get it', async () => {
    const user = await signUp(quiet);
    const write = { authorization: `Bearer ${user.accessToken}` };
    assert.equal((await publish(quiet, user.accessToken, 'Public')).status, 201);
    assert.equal((await publish(quiet, user.accessToken, 'Secret draft', 'draft')).status, 201);
    const path = `/main/v1/posts?author=${user.id}&limit=5`;

    // The author's own page first: it holds the draft and must not be kept for anyone else.
    const mine = await rawGet(quiet, path, write);
    assert.deepEqual(titles(mine), ['Secret draft', 'Public']);
    assert.equal(mine.headers['cache-control'], 'private, no-cache');
    await untilHit(quiet, path);
    assert.deepEqual(titles(await rawGet(quiet, path)), ['Public']);

    // With the anonymous page kept, a token (or a cookie) still goes to main.
    const before = await lookups(quiet);
    for (let i = 0; i < 3; i++) {
      const again = await rawGet(quiet, path, write);
      assert.deepEqual(titles(again), ['Secret draft', 'Public']);
      assert.equal(again.headers['cache-control'], 'private, no-cache');
      assert.equal((await rawGet(quiet, path, { cookie: 'session=x' })).status, 200);
    }
    // A bad token is refused, not answered from the kept copy.
    assert.equal((await rawGet(quiet, path, { authorization: 'Bearer nope' })).status, 401);
    assert.equal((await lookups(quiet)).hit, before.hit);
    assert.deepEqual(titles(await rawGet(quiet, path)), ['Public']);

    // An anonymous caller asking for drafts gets none, kept or not.
    const drafts = `/main/v1/posts?author=${user.id}&status=draft&limit=5`;
    for (let i = 0; i < 3; i++) assert.deepEqual(titles(await rawGet(quiet, drafts)), []);
  });

  test('cursor pages stay exact while posts are added through the gateway and past it', async () => {
    const user = await signUp(following);
    for (const title of ['p1', 'p2', 'p3', 'p4', 'p5']) {
      assert.equal((await publish(following, user.accessToken, title)).status, 201);
    }
    const first = `/main/v1/posts?author=${user.id}&limit=2`;
    const seen: string[] = [];
    let path: string | undefined = first;
    let round = 0;
    while (path) {
      // Kept first, so that a later page could only be stale through the cache.
      await untilHit(following, path);
      const answer = await rawGet(following, path);
      assert.equal(answer.status, 200);
      assert.equal(answer.body, (await rawGet(main.url, path)).body);
      const page = JSON.parse(answer.body) as Page;
      seen.push(...page.items.map((p) => p.title));
      round += 1;
      const base = round % 2 ? following : main.url;
      assert.equal((await publish(base, user.accessToken, `added ${round}`)).status, 201);
      path = page.next_cursor
        ? `${first}&cursor=${encodeURIComponent(page.next_cursor)}`
        : undefined;
    }
    assert.deepEqual(seen, ['p5', 'p4', 'p3', 'p2', 'p1']);
    // The first page, asked again, shows what was added meanwhile.
    await eventually(async () => titles(await rawGet(following, first))[0] === `added ${round}`);
  });
});

describe('the shared cache switched off, and bounded', () => {
  const { cleanup } = closeAtEnd();

  const start = async (env: Record<string, string | number>) => {
    const gateway = await startGateway(
      { AUTH_URLS: auth.url, MAIN_URLS: main.url, ...env },
      { auth: 'real' },
    );
    cleanup(() => gateway.app.close());
    await eventually(async () => (await fetch(`${gateway.url}/health/ready`)).status === 200);
    return gateway.url;
  };

  test('RESPONSE_CACHE=off: every anonymous page goes to the service', async () => {
    const url = await start({ RESPONSE_CACHE: 'off' });
    for (let i = 0; i < 5; i++) assert.equal((await rawGet(url, '/main/v1/posts')).status, 200);
    assert.deepEqual(await lookups(url), { hit: 0, miss: 0 });
  });

  test('RESPONSE_CACHE_ENTRIES bounds what is kept', async () => {
    const url = await start({ RESPONSE_CACHE_ENTRIES: 2 });
    await untilHit(url, '/main/v1/posts?limit=1');
    for (let limit = 2; limit <= 6; limit++) {
      assert.equal((await rawGet(url, `/main/v1/posts?limit=${limit}`)).status, 200);
    }
    const entries = Number(
      /^gateway_cache_entries(?:\{[^}]*\})? (\d+)/m.exec(await metricsOf(url))?.[1],
    );
    assert.equal(entries, 2);
    assert.match(await metricsOf(url), /^gateway_cache_bytes(?:\{[^}]*\})? \d+/m);
  });
});

describe('what the gateway keeps against a service it can watch closely', () => {
  let url: string;
  let version = 1;
  let feedStatus = 200;
  let listDelayMs = 0;
  const seen: { path: string; token?: string }[] = [];
  let pageNumber = 0;
  const { cleanup, gateway } = closeAtEnd();

  before(async () => {
    const upstream = await startUpstream((req, res) => {
      if (req.url === '/health/ready') return res.end('{}');
      // The path alone: as a service of before the long poll, this one ignores `?version&wait`.
      const path = req.url!.split('?')[0]!;
      seen.push({ path, token: req.headers['x-service-token'] as string | undefined });
      if (path === '/internal/cache-version') {
        res.writeHead(feedStatus, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ version: String(version) }));
      }
      if (req.method !== 'GET' && req.url === '/main/v1/refused') {
        // As main refuses a write without a token: nothing changed.
        res.writeHead(401, { 'content-type': 'application/problem+json' });
        return res.end('{}');
      }
      if (req.method !== 'GET') {
        version += 1;
        return res.writeHead(204).end();
      }
      // Numbered at arrival: a page is as new as the moment the service read it.
      pageNumber += 1;
      const body = JSON.stringify({ page: pageNumber });
      setTimeout(() => {
        res.writeHead(200, {
          'content-type': 'application/json',
          etag: `"${pageNumber}-${body.length}-${Math.random()}"`,
          'cache-control': 'public, no-cache',
          vary: 'authorization',
        });
        res.end(body);
      }, listDelayMs);
    });
    cleanup(upstream.close);
    url = await gateway({
      AUTH_URLS: upstream.url,
      MAIN_URLS: upstream.url,
      RESPONSE_CACHE_FEED_MS: 50,
      RESPONSE_CACHE_MAX_STALENESS_MS: 300,
    });
  });

  const list = '/main/v1/posts?limit=3';
  const pageOf = async () => (JSON.parse((await rawGet(url, list)).body) as { page: number }).page;

  test('the feed is asked with the service token, and only once an answer was keepable', async () => {
    await rawGet(url, '/main/v1/other');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(!seen.some((s) => s.path === '/internal/cache-version'));
    await untilHit(url, list);
    const feed = seen.filter((s) => s.path === '/internal/cache-version');
    assert.ok(feed.length > 0);
    assert.ok(feed.every((s) => s.token && s.token.length >= 32));
  });

  test('refused anonymous writes, which anyone can send, leave the kept pages current', async () => {
    await untilHit(url, list);
    const page = await pageOf();
    // A cookie is anyone's to send, and no service here reads one: it made a refused write count
    // as someone's, each one sending every list read back to the service until the feed caught up.
    const sent: Record<string, string>[] = [{}, { cookie: 'session=anything' }];
    for (const headers of sent) {
      for (const method of ['POST', 'DELETE'] as const) {
        assert.equal((await rawGet(url, '/main/v1/refused', headers, method)).status, 401);
      }
    }
    assert.equal(await pageOf(), page, 'still answered from the kept page, without a hop');
  });

  test('an answer read before a write and delivered after it is not served as current', async () => {
    await untilHit(url, list);
    listDelayMs = 500;
    const hits = (await lookups(url)).hit;
    const slow = rawGet(url, list, { 'cache-control': 'no-cache' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const write = await rawGet(url, '/main/v1/posts', {}, 'DELETE');
    assert.equal(write.status, 204);
    const before = JSON.parse((await slow).body).page as number;
    listDelayMs = 0;
    // The page that left the service before the write is never answered from the cache.
    const after = await pageOf();
    assert.ok(after > before, `${after} > ${before}`);
    assert.equal((await lookups(url)).hit, hits);
  });

  test('a feed that stops answering stops the answers without a hop, until it is back', async () => {
    await untilHit(url, list);
    feedStatus = 503;
    // Past the staleness bound every request reaches the service again.
    await eventually(async () => {
      const before = pageNumber;
      await rawGet(url, list);
      return pageNumber > before;
    });
    const misses = (await lookups(url)).miss;
    const before = pageNumber;
    for (let i = 0; i < 3; i++) await rawGet(url, list);
    assert.equal(pageNumber, before + 3);
    assert.equal((await lookups(url)).miss, misses + 3);
    feedStatus = 200;
    await untilHit(url, list);
  });
});
