import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { chromium } from 'playwright-core';
import { buildTestAnalytics } from './helper.ts';

/**
 * The dashboard redraws every few seconds; on a large range its reports (funnel, retention) take
 * longer than that. Here no report answers until the page's clock (Playwright's, faked) has run
 * through three refresh periods (the accounts API is stood in for by the browser's own routing):
 * a redraw must wait for the one under way, never pile requests up in the service.
 *
 * The page itself counts its report requests (a wrapper of `fetch`): Chromium sends at most six
 * at a time to one origin over HTTP/1.1, so what reaches the routing here is capped whether
 * requests pile up in the page or not. Two guards keep them from piling up: dashboard.js runs one
 * redraw at a time, and panels.js skips a panel whose request is still out; with both removed
 * this fails (24 requests started), and it took 8 s of real time where it used to wait 23.
 */
const t = await buildTestAnalytics();
const origin = await t.app.listen({ port: 0, host: '127.0.0.1' });
/** dashboard.js's REFRESH_MS. */
const REFRESH_MS = 5000;
/** The reports one redraw asks for. */
const PER_REDRAW = 6;

/** The page's globals these scripts touch (the tests compile without the DOM's types). */
type Fetch = (input: string | URL | { url: string }, init?: unknown) => Promise<unknown>;
declare const window: {
  fetch: Fetch;
  reportRequests: { started: number; out: number; most: number };
};

test('a slow redraw is not started again while it runs', { timeout: 120_000 }, async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  after(() => browser.close());
  const page = await browser.newPage();
  await page.addInitScript(() => {
    const counts = { started: 0, out: 0, most: 0 };
    window.reportRequests = counts;
    const fetchOf = window.fetch.bind(window);
    window.fetch = (input: Parameters<Fetch>[0], init?: unknown) => {
      const url = typeof input === 'string' ? input : 'href' in input ? input.href : input.url;
      if (!/\/analytics\/v1\/(reports|performance)\?/.test(url)) return fetchOf(input, init);
      counts.started += 1;
      counts.out += 1;
      counts.most = Math.max(counts.most, counts.out);
      return fetchOf(input, init).finally(() => {
        counts.out -= 1;
      });
    };
  });
  await page.route('**/accounts/v1/**', (route) =>
    route.fulfill({
      contentType: 'application/json',
      body: JSON.stringify({
        access_token: 'token',
        refresh_token: 'refresh',
        expires_in: 3600,
        user: { email: 'admin@example.com', permissions: ['analytics:read'] },
      }),
    }),
  );
  let answer: () => void = () => {};
  const answered = new Promise<void>((resolve) => {
    answer = resolve;
  });
  const now = new Date().toISOString();
  await page.route(/\/analytics\/v1\/(reports|performance)\?/, async (route) => {
    await answered;
    await route
      .fulfill({
        contentType: 'application/json',
        body: JSON.stringify({
          type: 'x',
          from: now,
          to: now,
          interval: '1m',
          series: [],
          columns: [],
          rows: [],
          steps: [],
          cohorts: [],
        }),
      })
      .catch(() => {});
  });

  await page.clock.install();
  await page.goto(`${origin}/analytics/v1/dashboard`);
  await page.fill('input[name=login]', 'admin@example.com');
  await page.fill('input[name=password]', 'password');
  await page.click('button[type=submit]');
  await page.waitForSelector('#charts:not([hidden])', { timeout: 30_000 });
  await page.waitForFunction((n) => window.reportRequests.started >= n, PER_REDRAW);
  // Three refresh periods while the first redraw's reports are still out.
  await page.clock.runFor(3 * REFRESH_MS + 100);
  const counts = await page.evaluate(() => window.reportRequests);
  assert.equal(counts.started, PER_REDRAW, 'no other redraw asked for reports meanwhile');
  assert.equal(counts.most, PER_REDRAW);

  // Once they answer, the redraw the timer asked for meanwhile runs, once.
  answer();
  await page.waitForFunction((n) => window.reportRequests.started >= 2 * n, PER_REDRAW);
  await page.waitForFunction(() => window.reportRequests.out === 0);
  assert.equal((await page.evaluate(() => window.reportRequests)).most, PER_REDRAW);
});
