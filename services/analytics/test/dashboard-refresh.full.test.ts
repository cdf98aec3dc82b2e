import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { buildTestAnalytics } from './helper.ts';

/**
 * The dashboard redraws every few seconds; on a large range its reports (funnel, retention) take
 * longer than that. Here every report answers after 8 s (the accounts API is stood in for by the
 * browser's own routing): a redraw must wait for the one under way, never pile requests up in
 * the service.
 */
const t = await buildTestAnalytics();
const origin = await t.app.listen({ port: 0, host: '127.0.0.1' });
const SLOW_MS = 8000;

test('a slow redraw is not started again while it runs', { timeout: 120_000 }, async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  after(() => browser.close());
  const page = await browser.newPage();
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
  let inFlight = 0;
  let most = 0;
  let started = 0;
  const now = new Date().toISOString();
  await page.route(/\/analytics\/v1\/(reports|performance)\?/, async (route) => {
    inFlight += 1;
    started += 1;
    most = Math.max(most, inFlight);
    await sleep(SLOW_MS);
    inFlight -= 1;
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

  await page.goto(`${origin}/analytics/v1/dashboard`);
  await page.fill('input[name=login]', 'admin@example.com');
  await page.fill('input[name=password]', 'password');
  await page.click('button[type=submit]');
  await page.waitForSelector('#charts:not([hidden])', { timeout: 30_000 });
  // Three refresh periods while the first redraw's reports are still out.
  await sleep(15_000);
  const perRedraw = 6;
  assert.ok(started >= perRedraw, `the first redraw asked for its reports (${started})`);
  assert.ok(most <= perRedraw, `${most} reports were out at once, more than one redraw's`);
});
