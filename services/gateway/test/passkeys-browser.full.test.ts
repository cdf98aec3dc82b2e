import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort } from '@platform/launcher';
import { type Browser, chromium, type Page } from 'playwright-core';
import { closeAtEnd, startGateway } from './helpers.ts';
import { eventually, post, signUp, startAuthService } from './services.ts';

// Browser globals for the functions that run in the page (this file is checked without the DOM).
interface Element {
  textContent: string | null;
  dataset: Record<string, string | undefined>;
}
declare const document: { getElementById(id: string): Element | null };

/**
 * Passkeys as a browser makes them: Debian's Chromium with a virtual authenticator (the DevTools
 * protocol's WebAuthn domain) on auth's passkey page, through the gateway. The page is opened on
 * `localhost`, the default relying party id; auth is left at its default origins.
 */
const { cleanup } = closeAtEnd();
const port = await freePort();
const auth = await startAuthService({ PUBLIC_URL: `http://127.0.0.1:${port}` });
cleanup(auth.stop);
const gateway = await startGateway({ AUTH_URLS: auth.url }, { auth: 'real', port });
cleanup(() => gateway.app.close());
const origin = `http://localhost:${port}`;
await eventually(async () => (await fetch(`${gateway.url}/health/ready`)).status === 200);

const browser: Browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
cleanup(() => browser.close());

/** A page on the passkey page with a fresh virtual platform authenticator that verifies users. */
async function pageWithAuthenticator() {
  const context = await browser.newContext();
  cleanup(() => context.close());
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  const response = await page.goto(`${origin}/accounts/v1/pages/passkeys`);
  assert.equal(response?.status(), 200);
  return { page, cdp, authenticatorId };
}

async function status(page: Page, state: string) {
  await page.waitForFunction(
    (expected) => {
      const s = document.getElementById('status')?.dataset.state;
      return s === expected || s === 'error';
    },
    state,
    { timeout: 30_000 },
  );
  return page.evaluate(() => {
    const el = document.getElementById('status');
    return { state: el?.dataset.state, userId: el?.dataset.userId, text: el?.textContent };
  });
}

test('a passkey made in Chromium signs in through the gateway; its assertion cannot be replayed', async () => {
  const member = await signUp(gateway.url);
  const { page, cdp, authenticatorId } = await pageWithAuthenticator();

  await page.fill('#email', member.email);
  await page.fill('#password', member.password);
  await page.click('#password-form button');
  assert.equal((await status(page, 'signed-in')).state, 'signed-in');

  await page.fill('#passkey-name', 'Virtual authenticator');
  await page.click('#add-passkey');
  const added = await status(page, 'registered');
  assert.equal(added.state, 'registered', added.text ?? '');
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.equal(credentials.length, 1);
  assert.equal(credentials[0]!.rpId, 'localhost');
  assert.ok(credentials[0]!.isResidentCredential);

  const listed = await fetch(`${gateway.url}/accounts/v1/user/passkeys`, {
    headers: { authorization: `Bearer ${member.accessToken}` },
  });
  const { items } = (await listed.json()) as { items: { name: string; last_used_at: null }[] };
  assert.deepEqual(
    items.map((p) => [p.name, p.last_used_at]),
    [['Virtual authenticator', null]],
  );

  // Sign in with it: the page asks without an email, the discoverable credential answers.
  let sent: string | undefined;
  page.on('request', (request) => {
    if (request.url().endsWith('/accounts/v1/login/passkey'))
      sent = request.postData() ?? undefined;
  });
  await page.click('#use-passkey');
  const signedIn = await status(page, 'passkey-signed-in');
  assert.equal(signedIn.state, 'passkey-signed-in', signedIn.text ?? '');
  assert.equal(signedIn.userId, member.id);
  const after = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.ok(after.credentials[0]!.signCount >= 1);

  // The very request the browser sent, again: its challenge is spent.
  assert.ok(sent);
  const replay = await post(`${gateway.url}/accounts/v1/login/passkey`, JSON.parse(sent));
  assert.equal(replay.status, 401);
  // The same assertion against a fresh challenge: the signature covers the old one.
  const fresh = (await (
    await post(`${gateway.url}/accounts/v1/login/passkey/options`, {})
  ).json()) as {
    challenge_id: string;
  };
  const moved = await post(`${gateway.url}/accounts/v1/login/passkey`, {
    ...JSON.parse(sent),
    challenge_id: fresh.challenge_id,
  });
  assert.equal(moved.status, 401);
});

// Browser globals the email sign-in below uses inside the page.
declare const navigator: {
  credentials: { get(options: unknown): Promise<{ toJSON(): unknown }> };
};
declare const PublicKeyCredential: { parseRequestOptionsFromJSON(json: unknown): unknown };

/** Asks for options with `email`, lets the authenticator answer, and sends the answer. */
function signInByEmail(page: Page, email: string) {
  return page.evaluate(async (address) => {
    const json = (path: string, body: unknown) =>
      fetch(`/accounts/v1${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const { challenge_id, ...options } = (await (
      await json('/login/passkey/options', { email: address })
    ).json()) as { challenge_id: string };
    const credential = await navigator.credentials.get({
      publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
    });
    const answer = await json('/login/passkey', { challenge_id, response: credential.toJSON() });
    const body = (await answer.json()) as { user?: { id: string } };
    return { status: answer.status, userId: body.user?.id };
  }, email);
}

test('sign-in with an email: the browser offers its passkey, which answers for its own account only', async () => {
  const member = await signUp(gateway.url);
  const other = await signUp(gateway.url);
  const { page } = await pageWithAuthenticator();
  await page.fill('#email', member.email);
  await page.fill('#password', member.password);
  await page.click('#password-form button');
  assert.equal((await status(page, 'signed-in')).state, 'signed-in');
  await page.click('#add-passkey');
  assert.equal((await status(page, 'registered')).state, 'registered');

  // The options name no credential, yet the discoverable one answers, in any letter case.
  assert.deepEqual(await signInByEmail(page, member.email.toUpperCase()), {
    status: 200,
    userId: member.id,
  });
  // Another account's address, or one nobody has: the same passkey is refused alike.
  const refused = { status: 401, userId: undefined };
  assert.deepEqual(await signInByEmail(page, other.email), refused);
  assert.deepEqual(await signInByEmail(page, 'nobody-at-all@example.com'), refused);
});
