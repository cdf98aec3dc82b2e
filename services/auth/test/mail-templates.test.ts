import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ConfigError } from '@platform/config';
import { linkTo } from '@platform/testing';
import { loadTemplates, MAILS } from '../src/mail/templates.ts';
import { mailsTo, waitForMail } from './accounts-mail.ts';
import { buildTestAuth, signUp } from './helper.ts';

const overrides = await mkdtemp(path.join(tmpdir(), 'auth-templates-'));
after(() => rm(overrides, { recursive: true, force: true }));
await mkdir(path.join(overrides, 'mail'));
await mkdir(path.join(overrides, 'pages'));

const base = {
  APP_NAME: 'Acme',
  PUBLIC_URL: 'http://gateway.test',
  APP_URL: undefined,
  MAIL_TEMPLATES_DIR: undefined,
};

test('with APP_URL, every link in a mail points at the app', async () => {
  const auth = await buildTestAuth({ APP_URL: 'https://app.example.com/account/' });
  const user = await signUp(auth.app);
  const [verification] = await mailsTo(auth, user.email, 'Confirm your email address');
  const link = linkTo(verification!, 'verify-email');
  assert.equal(link?.origin, 'https://app.example.com');
  assert.equal(link?.pathname, '/account/verify-email');
  assert.ok(verification!.html.includes(link!.href));

  await auth.app.inject({
    method: 'POST',
    url: '/accounts/v1/reset-password',
    payload: { email: user.email },
  });
  const reset = await waitForMail(auth, user.email, 'Reset your password');
  assert.equal(
    linkTo(reset, 'reset-password')?.href.split('?')[0],
    'https://app.example.com/account/reset-password',
  );
});

test('an .eml reads as text: the link and its whole token stand in the file as written', async () => {
  const auth = await buildTestAuth({
    APP_URL: 'https://app.example.com/a/rather/long/path/to/account/',
  });
  const user = await signUp(auth.app);
  await auth.app.inject({
    method: 'PATCH',
    url: '/accounts/v1/user',
    headers: { authorization: `Bearer ${user.accessToken}` },
    payload: { display_name: 'Zoë Ångström' },
  });
  await auth.app.inject({
    method: 'POST',
    url: '/accounts/v1/reset-password',
    payload: { email: user.email },
  });
  await waitForMail(auth, user.email, 'Reset your password');
  // As a developer's grep or a test without a MIME parser reads them: quoted-printable made the
  // link `token=3D…` and folded the token at 76 characters.
  const raws = (await auth.mails()).filter((eml) => eml.includes(`To: ${user.email}`));
  assert.equal(raws.length, 2);
  const verify = /verify-email\?token=([\w%-]+)/.exec(raws.join('\n'))?.[1];
  const reset = /reset-password\?token=([\w%-]+)/.exec(raws.join('\n'))?.[1];
  assert.ok(verify && reset, raws.join('\n'));
  const verified = await auth.app.inject({
    method: 'POST',
    url: '/accounts/v1/verify-email',
    payload: { token: decodeURIComponent(verify) },
  });
  assert.equal(verified.statusCode, 204, verified.body);
  const confirmed = await auth.app.inject({
    method: 'POST',
    url: '/accounts/v1/reset-password/confirm',
    payload: { token: decodeURIComponent(reset), new_password: 'a brand new passphrase 1' },
  });
  assert.equal(confirmed.statusCode, 204, confirmed.body);
  // Still whole MIME: a parser reads the same parts.
  const [parsed] = await mailsTo(auth, user.email, 'Reset your password');
  assert.ok(parsed!.text.includes('reset-password?token='));
  assert.ok(parsed!.html.includes('reset-password?token='));
});

test('a file in MAIL_TEMPLATES_DIR replaces the built-in one; the others stay', async () => {
  await writeFile(
    path.join(overrides, 'mail/verify-email.subject.txt'),
    'Welcome to {{app_name}}, {{username}}',
  );
  await writeFile(
    path.join(overrides, 'mail/verify-email.html'),
    '<p>{{username}} <a href="{{link}}">go</a></p>',
  );
  const templates = loadTemplates({ ...base, MAIL_TEMPLATES_DIR: overrides }, '/accounts/v1');
  const mail = templates.mail('verify-email', 'a@example.com', {
    username: '<b>"Ada" & co</b>',
    token: 't',
    link: 'https://x.example/verify-email?token=t&a=1',
  });
  assert.equal(mail.subject, 'Welcome to Acme, <b>"Ada" & co</b>', 'subjects are not HTML');
  assert.match(
    mail.html,
    /<p>&lt;b&gt;&quot;Ada&quot; &amp; co&lt;\/b&gt; <a href="https:\/\/x\.example\/verify-email\?token=t&amp;a=1">go<\/a><\/p>/,
  );
  assert.ok(mail.text.includes('Hello <b>"Ada" & co</b>,'), 'text is left as it is (built-in)');
  assert.ok(mail.text.includes('https://x.example/verify-email?token=t&a=1'));
});

test('a broken template stops the start with its file name', async () => {
  const broken = await mkdtemp(path.join(tmpdir(), 'auth-templates-broken-'));
  after(() => rm(broken, { recursive: true, force: true }));
  await mkdir(path.join(broken, 'mail'));
  await writeFile(path.join(broken, 'mail/reset-password.txt'), 'Hello {{#username}} unclosed');
  assert.throws(
    () => loadTemplates({ ...base, MAIL_TEMPLATES_DIR: broken }, '/accounts/v1'),
    (error: unknown) => error instanceof ConfigError && /reset-password\.txt/.test(error.message),
  );
});

test('a MAIL_TEMPLATES_DIR that is no folder stops the start in one line, rather than quietly using the built-in templates', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'auth-templates-missing-'));
  after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, 'a-file'), '');
  for (const missing of [path.join(dir, 'tempaltes'), path.join(dir, 'a-file')]) {
    assert.throws(
      () => loadTemplates({ ...base, MAIL_TEMPLATES_DIR: missing }, '/accounts/v1'),
      new ConfigError(`MAIL_TEMPLATES_DIR is invalid: ${missing} is not a folder`),
    );
  }
});

test('links default to auth pages under PUBLIC_URL; a page allows only its own styles', () => {
  const templates = loadTemplates(base, '/accounts/v1');
  assert.equal(
    templates.link('verify-email', 'abc_-1'),
    'http://gateway.test/accounts/v1/verify-email?token=abc_-1',
  );
  const page = templates.page('verify-email', {
    title: 'T',
    token: '"><script>x</script>',
    action: 'a',
  });
  assert.doesNotMatch(page.html, /<script>x/);
  assert.match(page.html, /value="&quot;&gt;&lt;script&gt;/);
  assert.match(page.csp, /style-src 'sha256-[\w+/=]+'/);
  assert.doesNotMatch(page.csp, /script-src|unsafe/);
});

test('every mail has a text and an HTML part with a link built from APP_URL (the notices: where to reset the password)', () => {
  const templates = loadTemplates({ ...base, APP_URL: 'https://app.example.com/account/' }, '/x');
  const view = {
    username: 'ada',
    token: 'tok',
    link: templates.link('verify-email', 'tok'),
    new_email: 'new@example.com',
    remaining: 9,
  };
  for (const name of MAILS) {
    const mail = templates.mail(name, 'ada@example.com', view);
    assert.match(mail.text, /https:\/\/app\.example\.com\/account\/[a-z-]+/, `${name}: text`);
    assert.match(mail.html, /href="https:\/\/app\.example\.com\/account\/[a-z-]+/, `${name}: html`);
  }
  const notice = templates.mail('password-changed', 'ada@example.com', view);
  assert.match(notice.text, /https:\/\/app\.example\.com\/account\/reset-password\n/);
});
