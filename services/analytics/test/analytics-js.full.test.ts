import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { closeAtEnd, startGateway } from '../../gateway/test/helpers.ts';
import { bearer, buildTestAnalytics } from './helper.ts';

/**
 * Segment's analytics.js as a page runs it: the real `@segment/analytics-next` (bundled from npm
 * with esbuild) in headless Chromium, on a page of another origin than the gateway, loading its
 * settings from the gateway (`cdnURL`) and sending through it (preflight, Basic and text/plain)
 * with a browser write key; what it sent is read back stored and stitched.
 */
interface Sent {
  anonymousId: string;
  failures: string[];
}
// The page's globals (this file is checked without the DOM library).
declare const window: {
  AnalyticsBrowser: {
    load(
      settings: { writeKey: string; cdnURL: string },
      options?: Record<string, unknown>,
    ): Promise<
      [
        {
          page(): Promise<unknown>;
          track(event: string, properties?: object): Promise<unknown>;
          identify(userId: string, traits?: object): Promise<unknown>;
          alias(to: string): Promise<unknown>;
          user(): { anonymousId(): string };
          on(event: 'error', listener: (error: { code: string }) => void): void;
        },
        unknown,
      ]
    >;
  };
};

const { cleanup } = closeAtEnd();

// The gateway's URL is analytics' PUBLIC_URL (the settings' apiHost), so its port comes first.
const free = createServer();
await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
const gatewayPort = (free.address() as AddressInfo).port;
await new Promise((resolve) => free.close(resolve));
const gateway = `http://127.0.0.1:${gatewayPort}`;

const t = await buildTestAnalytics({ PUBLIC_URL: gateway });
const { app } = await startGateway(
  // CORS_ORIGINS names another origin: the page's is not in it.
  {
    ANALYTICS_URLS: await t.app.listen({ port: 0, host: '127.0.0.1' }),
    CORS_ORIGINS: 'https://app.example',
  },
  { port: gatewayPort },
);
cleanup(() => app.close());

const bundle = await build({
  stdin: {
    contents:
      "import { AnalyticsBrowser } from '@segment/analytics-next'; window.AnalyticsBrowser = AnalyticsBrowser;",
    resolveDir: import.meta.dirname,
  },
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  write: false,
  logLevel: 'silent',
});
const script = bundle.outputFiles[0]!.text;

// The site: another origin than the gateway's.
const site = createServer((req, res) => {
  if (req.url === '/analytics.js') {
    res.setHeader('content-type', 'text/javascript');
    return res.end(script);
  }
  res.setHeader('content-type', 'text/html');
  res.end('<!doctype html><title>shop</title><script src="/analytics.js"></script><p>shop</p>');
});
await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
const siteOrigin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
cleanup(() => new Promise((resolve) => site.close(() => resolve())));

async function browserKey(origins: string[]) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/analytics/v1/write-keys',
    headers: bearer(t.adminToken),
    payload: { name: 'shop', kind: 'browser', origins },
  });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().key as string;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
});
after(() => browser.close());

/** Opens the site in a fresh profile and runs `steps` with analytics.js loaded there. */
async function visit(
  writeKey: string,
  userId: string,
  options: Record<string, unknown>,
): Promise<Sent & { hosts: string[]; problems: string[]; answers: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const hosts = new Set<string>();
  const problems: string[] = [];
  /** `<method> <path> <status>` of each answer from the gateway. */
  const answers: string[] = [];
  page.on('response', (response) => {
    const url = new URL(response.url());
    if (url.origin === gateway) {
      answers.push(`${response.request().method()} ${url.pathname} ${response.status()}`);
    }
  });
  page.on('request', (request) => hosts.add(new URL(request.url()).origin));
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // The browser's own line for a refused request is checked through `answers`.
    if (message.type() === 'error' && !/status of 403/.test(message.text())) {
      problems.push(message.text());
    }
  });
  await page.goto(siteOrigin);
  const sent = await page.evaluate(
    async ({ writeKey, cdnURL, userId, options }) => {
      const failures: string[] = [];
      const [analytics] = await window.AnalyticsBrowser.load({ writeKey, cdnURL }, options);
      analytics.on('error', (error) => failures.push(error.code));
      await analytics.page();
      await analytics.track('Added To Cart', { sku: 'sku-1', price: 9.5 });
      // Before identify, alias links the anonymous id (its previousId) to the user.
      await analytics.alias(userId);
      await analytics.identify(userId, { plan: 'pro' });
      await analytics.track('Checked Out', { total: 9.5 });
      return { anonymousId: analytics.user().anonymousId(), failures };
    },
    { writeKey, cdnURL: `${gateway}/analytics`, userId, options },
  );
  // The batching strategy sends on its timer: give it time before the page goes.
  await page.waitForTimeout(500);
  await context.close();
  return { ...sent, hosts: [...hosts], problems, answers };
}

async function readBack(userId: string, anonymousId: string, count: number) {
  let events: { event: string; anonymous_id: string | null; properties: object }[] = [];
  for (let i = 0; i < 100; i += 1) {
    await t.drained();
    const res = await t.app.inject({
      url: `/analytics/v1/user-activity?user_id=${userId}`,
      headers: bearer(t.adminToken),
    });
    assert.equal(res.statusCode, 200, res.body);
    events = res.json().items;
    if (events.length >= count) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.deepEqual(events.map((e) => e.event).sort(), [
    'Added To Cart',
    'Checked Out',
    'alias',
    'identify',
    'page',
  ]);
  // Stitched: the page and the first track were sent before the user was known.
  const early = events.filter((e) => e.event === 'page' || e.event === 'Added To Cart');
  for (const e of early) assert.equal(e.anonymous_id, anonymousId);
  const cart = events.find((e) => e.event === 'Added To Cart')!;
  assert.deepEqual(cart.properties, { sku: 'sku-1', price: 9.5 });
  const profile = await t.app.inject({
    url: `/analytics/v1/profiles/${userId}`,
    headers: bearer(t.adminToken),
  });
  assert.equal(profile.statusCode, 200, profile.body);
  assert.deepEqual(profile.json().anonymous_ids, [anonymousId]);
  // A browser key is public: its identify leaves the profile's traits alone.
  assert.deepEqual(profile.json().traits, {});
}

test('analytics.js in a page of another origin sends page, track, alias and identify through the gateway, stored and stitched', async () => {
  const writeKey = await browserKey([siteOrigin]);
  const userId = `shopper-${randomUUID()}`;
  const sent = await visit(writeKey, userId, {});
  assert.deepEqual(sent.failures, []);
  assert.deepEqual(sent.problems, []);
  // Settings and events from the gateway alone: nothing went to Segment's CDN or API.
  assert.deepEqual(sent.hosts.sort(), [gateway, siteOrigin].sort());
  assert.match(sent.anonymousId, /^[0-9a-f-]{36}$/);
  assert.deepEqual(
    sent.answers.sort(),
    [
      `GET /analytics/v1/projects/${writeKey}/settings 200`,
      'POST /analytics/v1/a 200',
      'POST /analytics/v1/i 200',
      'POST /analytics/v1/p 200',
      'POST /analytics/v1/t 200',
      'POST /analytics/v1/t 200',
    ].sort(),
  );
  await readBack(userId, sent.anonymousId, 5);
});

test('its batching delivery strategy posts {batch, sentAt, writeKey} to /b, stored and stitched', async () => {
  const writeKey = await browserKey([siteOrigin]);
  const userId = `batcher-${randomUUID()}`;
  const sent = await visit(writeKey, userId, {
    integrations: {
      'Segment.io': {
        deliveryStrategy: { strategy: 'batching', config: { size: 5, timeout: 100 } },
      },
    },
  });
  assert.deepEqual(sent.failures, []);
  assert.deepEqual(sent.problems, []);
  assert.ok(sent.answers.includes('POST /analytics/v1/b 200'), sent.answers.join('\n'));
  assert.ok(
    !sent.answers.some((a) => / \/analytics\/v1\/[tpiag] /.test(a)),
    sent.answers.join('\n'),
  );
  await readBack(userId, sent.anonymousId, 5);
});

test('from an origin its key does not name, nothing is stored and the page is told (403)', async () => {
  const writeKey = await browserKey(['https://shop.example']);
  const userId = `elsewhere-${randomUUID()}`;
  const sent = await visit(writeKey, userId, {});
  assert.ok(sent.failures.includes('delivery_failure'), JSON.stringify(sent));
  // Told, not a network error: a 403 analytics.js reads (and drops) instead of retrying.
  assert.ok(sent.answers.includes('POST /analytics/v1/t 403'), sent.answers.join('\n'));
  assert.deepEqual(sent.problems, []);
  await t.drained();
  const res = await t.app.inject({
    url: `/analytics/v1/user-activity?user_id=${userId}`,
    headers: bearer(t.adminToken),
  });
  assert.deepEqual(res.json().items, []);
});
