import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { closeAtEnd } from './helpers.ts';
import { authBehindGateway, linkTo, post, signUp, waitForMail } from './services.ts';

/**
 * A person following the links of their mails in a real browser (Debian's Chromium), through
 * the gateway: the page loads with no CSP violation or script, one click finishes the action.
 */
const { cleanup } = closeAtEnd();
const { auth, url } = await authBehindGateway();

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
});
cleanup(() => browser.close());

/** A fresh page that collects console errors (CSP violations land there) and page errors. */
async function openPage() {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  cleanup(() => page.close());
  return { page, problems };
}

/** The mailed link, on this test's gateway (auth's PUBLIC_URL is a made-up host). */
const onGateway = (link: URL | undefined) => {
  assert.ok(link);
  return `${url}${link.pathname}${link.search}`;
};

test('the verification link, opened in a browser, verifies the address with one click', async () => {
  const user = await signUp(url);
  const mail = await waitForMail(auth.mailDir, user.email, /confirm your email/i);
  const { page, problems } = await openPage();
  const shown = await page.goto(onGateway(linkTo(mail, 'verify-email')));
  assert.equal(shown?.status(), 200);
  // The page's own style applies (its hash is in the CSP): the button is not the browser default.
  const background = await page
    .locator('button')
    .evaluate(
      (b) =>
        (
          globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }
        ).getComputedStyle(b).backgroundColor,
    );
  assert.equal(background, 'rgb(37, 99, 235)');
  await Promise.all([page.waitForURL(/\/pages\/verify-email$/), page.click('button')]);
  assert.match((await page.textContent('h1')) ?? '', /confirmed/i);
  assert.deepEqual(problems, []);
  const me = await fetch(`${url}/accounts/v1/user`, {
    headers: { authorization: `Bearer ${user.accessToken}` },
  });
  assert.equal(
    ((await me.json()) as { user: { email_verified: boolean } }).user.email_verified,
    true,
  );
});

test('the reset link, opened in a browser, sets a new password with one form', async () => {
  const user = await signUp(url);
  await post(`${url}/accounts/v1/reset-password`, { email: user.email });
  const mail = await waitForMail(auth.mailDir, user.email, /reset your password/i);
  const { page, problems } = await openPage();
  assert.equal((await page.goto(onGateway(linkTo(mail, 'reset-password'))))?.status(), 200);
  const fresh = `browser chosen passphrase ${Date.now()}`;
  await page.fill('#new_password', fresh);
  await page.fill('#confirm_password', fresh);
  await Promise.all([page.waitForURL(/\/pages\/reset-password$/), page.click('button')]);
  assert.match((await page.textContent('h1')) ?? '', /password changed/i);
  assert.deepEqual(problems, []);
  const login = await post(`${url}/accounts/v1/login`, { email: user.email, password: fresh });
  assert.equal(login.status, 200);
});
