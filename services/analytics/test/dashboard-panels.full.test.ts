import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, test } from 'node:test';
import { chromium, type Request } from 'playwright-core';
import type { Store } from '../src/store/types.ts';
import { until } from './destinations-receiver.ts';
import { bearer, buildTestAnalytics, serviceHeaders } from './helper.ts';

// Browser globals for the functions that run in the page (this file is checked without the DOM
// library). Functions, not strings: the page's CSP rightly forbids evaluating strings.
declare const window: { marker?: string };

const SCREENSHOT = path.resolve(
  import.meta.dirname,
  '../../../test-results/dashboard-retrying.png',
);
/** Asked for side by side with top events (funnel and retention too, now that panels load apart). */
const OTHERS = ['performance', 'daily-active-users', 'top-routes'];

/**
 * One panel refused by the query limiter: two query slots, and the test fills both with `signups`
 * reports (the page never asks for those) held in the store until the refusal has been seen.
 */
const gate = { open: () => {}, running: 0 };
const opened = new Promise<void>((resolve) => {
  gate.open = resolve;
});
const t = await buildTestAnalytics(
  { QUERY_CONCURRENCY: '2', QUERY_WAIT_MS: '3000' },
  {
    wrapStore: (store: Store): Store => ({
      ...store,
      async signups(range) {
        gate.running += 1;
        await opened;
        return store.signups(range);
      },
    }),
  },
);
const origin = await t.app.listen({ port: 0, host: '127.0.0.1' });

/** What each of the page's report requests is, by its `type` (`performance` for that one). */
const kindOf = (request: Request) => {
  const url = new URL(request.url());
  return url.pathname.endsWith('/performance') ? 'performance' : url.searchParams.get('type');
};

async function seed() {
  const now = Date.now();
  const samples = Array.from({ length: 200 }, (_, i) => ({
    service: 'main',
    route: i % 3 ? '/main/v1/posts' : '/main/v1/posts/:id',
    method: 'GET',
    status: i % 13 ? 200 : 503,
    duration_ms: 5 + (i % 40),
    timestamp: new Date(now - ((i * 7919) % 3_000_000)).toISOString(),
  }));
  const names = ['page.viewed', 'post.read', 'button.clicked', 'user.logged_in'];
  const events = Array.from({ length: 80 }, (_, i) => ({
    id: `seed:${i}`,
    type: names[i % names.length]!,
    occurred_at: new Date(now - Math.floor(i / 20) * 86_400_000 - i * 60_000).toISOString(),
    user_id: `user-${i % 7}`,
    payload: {},
  }));
  for (let i = 0; i < 7; i += 1) {
    events.push({
      id: `seed:registered:${i}`,
      type: 'user.registered',
      occurred_at: new Date(now - 4 * 86_400_000).toISOString(),
      user_id: `user-${i}`,
      payload: {},
    });
  }
  for (const [url, payload] of [
    ['/internal/samples', { samples }],
    ['/internal/events', { events }],
  ] as const) {
    const res = await t.app.inject({ method: 'POST', url, headers: serviceHeaders, payload });
    assert.equal(res.statusCode, 202, res.body);
  }
  await t.drained();
}

test('a panel refused with 503 keeps its data and retries after Retry-After; the others draw; a 403 signs out', async () => {
  await seed();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // The browser's own line for each refused request is expected here.
    if (message.type() === 'error' && !/status of (503|403)/.test(message.text()))
      problems.push(message.text());
  });

  // The accounts API is stood in for: its sign-in hands out a token analytics verifies.
  let token = t.adminToken;
  await page.route('**/accounts/v1/**', (route) =>
    route.fulfill({
      contentType: 'application/json',
      body: JSON.stringify({
        access_token: token,
        refresh_token: 'refresh',
        expires_in: 3600,
        user: { email: 'admin@example.com', permissions: ['analytics:read'] },
      }),
    }),
  );

  /** Every report request and answer of the page, in order, with when the test saw it. */
  const log: { at: number; kind: string | null; status?: number }[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/analytics/v1/')) log.push({ at: Date.now(), kind: kindOf(r) });
  });
  page.on('response', (r) => {
    if (!r.url().includes('/analytics/v1/')) return;
    log.push({ at: Date.now(), kind: kindOf(r.request()), status: r.status() });
    // Seen refused: the slots are let go, so the retry finds one.
    if (kindOf(r.request()) === 'top-events' && r.status() === 503) gate.open();
  });
  let armed = false;
  let armedAt = 0;
  await page.route(/\/analytics\/v1\/reports\?.*type=top-events/, async (route) => {
    if (!armed) return route.continue();
    armed = false;
    // The rest of this refresh is answered first, so that only this report meets full slots.
    await until(() => {
      const since = log.filter((e) => e.at >= armedAt && e.kind !== 'top-events');
      const answered = since.filter((e) => e.status !== undefined);
      return (
        OTHERS.every((kind) => answered.some((e) => e.kind === kind && e.status === 200)) &&
        answered.length * 2 === since.length
      );
    }, 'the other panels of the refresh answered');
    const held = Array.from({ length: 2 }, () =>
      t.app.inject({
        url: '/analytics/v1/reports?type=signups&from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z',
        headers: bearer(t.adminToken),
      }),
    );
    await until(() => gate.running === 2, 'both query slots held');
    await route.continue();
    for (const res of await Promise.all(held)) assert.equal(res.statusCode, 200, res.body);
  });

  await page.goto(`${origin}/analytics/v1/dashboard`);
  await page.fill('input[name=login]', 'admin@example.com');
  await page.fill('input[name=password]', 'password');
  await page.click('button[type=submit]');
  await page.waitForSelector('#chart-events[data-points] canvas', { timeout: 30_000 });
  const drawn = Number(await page.getAttribute('#chart-events', 'data-points'));
  assert.ok(drawn > 0, 'top events drawn before the refusal');
  await page.evaluate(() => {
    window.marker = 'same page';
  });

  armedAt = Date.now();
  armed = true;
  await page.waitForSelector('#chart-events[data-state=retrying]', { timeout: 60_000 });
  const refusal = log.find((e) => e.kind === 'top-events' && e.status === 503)!;
  assert.ok(refusal, 'the limiter refused top events with a 503');
  // Its last data stays on screen, dimmed, with a small badge; nothing else is marked.
  assert.equal(Number(await page.getAttribute('#chart-events', 'data-points')), drawn);
  assert.ok(await page.isVisible('#chart-events canvas'));
  assert.equal(await page.textContent('article:has(#chart-events) h2 .state'), 'retrying…');
  assert.equal(await page.locator('[data-state]').count(), 1);
  assert.equal(await page.textContent('#status'), '', 'the refresh itself did not fail');
  for (const id of ['chart-traffic', 'chart-latency', 'chart-dau', 'chart-routes', 'chart-funnel'])
    assert.ok(Number(await page.getAttribute(`#${id}`, 'data-points')) > 0, id);
  await mkdir(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });

  // It comes back by itself, on its own retry after Retry-After (5 s), while polls go on.
  await page.waitForSelector('#chart-events:not([data-state]) canvas', { timeout: 60_000 });
  assert.equal(await page.locator('.panel .state').count(), 0);
  const after503 = log.filter((e) => e.at > refusal.at && e.kind === 'top-events');
  const answered = after503.findIndex((e) => e.status !== undefined);
  assert.equal(after503[answered]?.status, 200);
  // One request (not one per poll meanwhile), not before the service said; a little slack for
  // when the test process hears of the browser's events.
  const asked = after503.slice(0, answered);
  assert.equal(asked.length, 1, `${asked.length} requests before the answer`);
  const retry = asked[0]!;
  assert.ok(retry.at - refusal.at >= 4500, `asked again after ${retry.at - refusal.at} ms`);
  const polled = log.filter(
    (e) => e.kind === 'performance' && e.status === 200 && e.at > refusal.at && e.at < retry.at,
  );
  assert.ok(polled.length >= 1, 'the other panels kept refreshing meanwhile');
  assert.equal(await page.evaluate(() => window.marker), 'same page', 'no reload');

  // A token without analytics:read: every report is a 403, and the page goes back to sign-in.
  await page.click('#signout');
  await page.waitForSelector('#signin:not([hidden])');
  token = (await t.user()).accessToken;
  await page.fill('input[name=login]', 'admin@example.com');
  await page.fill('input[name=password]', 'password');
  await page.click('button[type=submit]');
  await page.waitForSelector('#signin-error:has-text("may not read analytics")', {
    timeout: 30_000,
  });
  assert.ok(await page.isHidden('#charts'));
  assert.ok(log.some((e) => e.status === 403));
  assert.deepEqual(problems, [], 'no script errors and no Content-Security-Policy violations');
});
