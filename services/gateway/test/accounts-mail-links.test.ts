import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authBehindGateway, linkTo, type Mail, post, signUp, waitForMail } from './services.ts';

/**
 * Mails a person can act on, through the real gateway: a text and an HTML part with the same
 * link, and (APP_URL unset) auth's own pages that finish the action with one click. A GET, as a
 * mail scanner sends, only shows the page: the token is spent by the form's POST.
 */
const { auth, url } = await authBehindGateway();

/** The mail's link, opened through this test's gateway (auth's PUBLIC_URL is a made-up host). */
function open(mail: Mail, page: string): URL {
  const link = linkTo(mail, page);
  assert.ok(link, `a ${page} link in: ${mail.text}`);
  assert.equal(link.origin, 'http://gateway.test', 'built from PUBLIC_URL when APP_URL is unset');
  assert.equal(link.pathname, `/accounts/v1/${page}`);
  return new URL(`${link.pathname}${link.search}`, url);
}

/** What a browser submits for the page's (only) form: its action and fields. */
function formOf(html: string, base: URL) {
  const form = /<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(html);
  assert.ok(form, 'the page has a form that POSTs');
  const fields = new URLSearchParams();
  for (const input of form[2]!.matchAll(/<input [^>]*name="([^"]+)"(?: [^>]*value="([^"]*)")?/g)) {
    fields.set(input[1]!, (input[2] ?? '').replace(/&amp;/g, '&'));
  }
  return { action: new URL(form[1]!, base), fields };
}

const submit = (action: URL, fields: URLSearchParams) =>
  fetch(action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: fields.toString(),
  });

async function emailVerified(accessToken: string) {
  const res = await fetch(`${url}/accounts/v1/user`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  return ((await res.json()) as { user: { email_verified: boolean } }).user.email_verified;
}

function assertStrictPage(res: Response) {
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  const csp = res.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /form-action 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /script-src|unsafe-inline/, 'no script may run');
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
}

test('the verification mail has a text and an HTML part with the same link', async () => {
  const user = await signUp(url);
  const mail = await waitForMail(auth.mailDir, user.email, /confirm your email/i);
  assert.ok(mail.text.includes('Hello'), mail.text);
  assert.match(mail.html, /<html/);
  const link = linkTo(mail, 'verify-email')!;
  assert.ok(
    mail.html.replace(/&amp;/g, '&').includes(`href="${link.href}"`),
    'the HTML part links to the same page',
  );
  assert.match(link.searchParams.get('token') ?? '', /^[\w-]{43}$/);
});

test('the verification page: a GET changes nothing; its button verifies with one click', async () => {
  const user = await signUp(url);
  const page = open(
    await waitForMail(auth.mailDir, user.email, /confirm your email/i),
    'verify-email',
  );

  // A mail scanner (or a link preview) fetches the link, even twice: nothing is spent.
  for (let i = 0; i < 2; i++) {
    const scanned = await fetch(page);
    assert.equal(scanned.status, 200);
    assertStrictPage(scanned);
  }
  assert.equal(await emailVerified(user.accessToken), false, 'a GET alone verifies nothing');

  const shown = await fetch(page);
  const html = await shown.text();
  assert.doesNotMatch(html, /<script/i);
  const { action, fields } = formOf(html, page);
  assert.equal(fields.get('token'), page.searchParams.get('token'));
  const clicked = await submit(action, fields);
  assert.equal(clicked.status, 200);
  assertStrictPage(clicked);
  assert.match(await clicked.text(), /confirmed/i);
  assert.equal(await emailVerified(user.accessToken), true);

  const again = await submit(action, fields);
  assert.equal(again.status, 400, 'the token worked once');
  assert.match(await again.text(), /invalid, expired or already used/);
});

test('the reset page sets a new password with one form; a GET spends nothing', async () => {
  const user = await signUp(url);
  assert.equal(
    (await post(`${url}/accounts/v1/reset-password`, { email: user.email })).status,
    202,
  );
  const page = open(
    await waitForMail(auth.mailDir, user.email, /reset your password/i),
    'reset-password',
  );
  const shown = await fetch(page);
  assert.equal(shown.status, 200);
  assertStrictPage(shown);
  const { action, fields } = formOf(await shown.text(), page);
  assert.ok(fields.has('new_password') && fields.has('confirm_password'));

  const fresh = `a brand new passphrase ${Date.now()}`;
  fields.set('new_password', fresh);
  fields.set('confirm_password', `${fresh}!`);
  const differ = await submit(action, fields);
  assert.equal(differ.status, 400);
  assert.match(await differ.text(), /differ/);

  fields.set('new_password', 'password');
  fields.set('confirm_password', 'password');
  const weak = await submit(action, fields);
  assert.equal(weak.status, 400, 'a refused password shows the form again; the token stays good');
  assert.match(await weak.text(), /<form/);

  fields.set('new_password', fresh);
  fields.set('confirm_password', fresh);
  const done = await submit(action, fields);
  assert.equal(done.status, 200, await done.clone().text());
  const login = (password: string) =>
    post(`${url}/accounts/v1/login`, { email: user.email, password });
  assert.equal((await login(fresh)).status, 200);
  assert.equal((await login(user.password)).status, 401);
  assert.equal((await submit(action, fields)).status, 400, 'the token worked once');
});

test('a page without its token, or a form sent as JSON to the page, is refused', async () => {
  const bare = await fetch(`${url}/accounts/v1/verify-email`);
  assert.equal(bare.status, 400);
  assertStrictPage(bare);
  // The JSON API still takes JSON only: a form body there is 415, not a way around the pages.
  const form = await fetch(`${url}/accounts/v1/verify-email`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'token=x',
  });
  assert.equal(form.status, 415);
});

test('an email change: the new address confirms on the page in one click, the old one is told', async () => {
  const user = await signUp(url);
  const fresh = `moved.${user.email}`;
  const asked = await fetch(`${url}/accounts/v1/user`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email: fresh, current_password: user.password }),
  });
  assert.equal(asked.status, 200, await asked.clone().text());
  const notice = await waitForMail(auth.mailDir, user.email, /is being changed/i);
  assert.ok(notice.text.includes(fresh) && notice.html.includes(fresh));
  const page = open(await waitForMail(auth.mailDir, fresh, /confirm your new/i), 'verify-email');
  const { action, fields } = formOf(await (await fetch(page)).text(), page);
  const clicked = await submit(action, fields);
  assert.equal(clicked.status, 200);
  const changed = await waitForMail(auth.mailDir, user.email, /was changed/i);
  assert.ok(changed.text.includes(fresh), 'the old address learns where the account went');
  const me = await fetch(`${url}/accounts/v1/user`, {
    headers: { authorization: `Bearer ${user.accessToken}` },
  });
  const body = (await me.json()) as { user: { email: string; email_verified: boolean } };
  assert.equal(body.user.email, fresh);
  assert.equal(body.user.email_verified, true);
});
