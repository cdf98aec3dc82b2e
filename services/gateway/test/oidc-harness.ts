import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { freePort } from '@platform/launcher';
import { Secret, TOTP } from 'otpauth';
import { closeAtEnd, startGateway } from './helpers.ts';
import { type IdpAccount, startTestIdp, throughProvider } from './oidc-idp.ts';
import {
  eventually,
  mailsTo,
  post,
  signUp,
  startAuthService,
  tokenIn,
  waitForMail,
} from './services.ts';

/**
 * Signing in with an OpenID Connect provider, end to end: a real provider (oidc-provider) in this
 * process, the real auth service as its own process, and the real gateway in front, which is also
 * the PUBLIC_URL the provider sends the browser back to. One per test file, closed after its
 * last test; the helpers walk a browser and an app through the flow.
 */
export async function startOidcSignIn() {
  const { cleanup } = closeAtEnd();
  const APP = 'http://app.test/signed-in';
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const callback = `${origin}/accounts/v1/oauth/test/callback`;
  const idp = await startTestIdp([callback]);
  cleanup(idp.close);
  /** An issuer where nothing answers: a provider that is down. */
  const deadIssuer = `http://127.0.0.1:${await freePort()}`;
  const auth = await startAuthService({
    PUBLIC_URL: origin,
    OAUTH_REDIRECT_URIS: `${APP},myapp://oauth`,
    OIDC_PROVIDERS: JSON.stringify([
      {
        id: 'test',
        name: 'Test IdP',
        issuer: idp.issuer,
        client_id: idp.clientId,
        client_secret: idp.clientSecret,
      },
      { id: 'down', name: 'Down', issuer: deadIssuer, client_id: 'x', client_secret: 'y' },
    ]),
  });
  cleanup(auth.stop);
  const gateway = await startGateway({ AUTH_URLS: auth.url }, { auth: 'real', port });
  cleanup(() => gateway.app.close());
  await eventually(async () => (await fetch(`${origin}/health/ready`)).status === 200);

  const authorizeUrl = (redirectUri = APP, extra = '') =>
    `${origin}/accounts/v1/oauth/test/authorize?redirect_uri=${encodeURIComponent(redirectUri)}${extra}`;

  let subjects = 0;
  /** An account at the provider; returns its subject. */
  function idpAccount(claims: IdpAccount) {
    subjects += 1;
    const subject = `subject-${process.pid}-${subjects}`;
    idp.accounts.set(subject, claims);
    return subject;
  }

  /** The browser's trip to the provider and back to our callback (not yet visited). */
  async function atCallback(subject: string, extra = '') {
    idp.signInAs(subject);
    return throughProvider(authorizeUrl(APP, extra), callback);
  }

  /** Visits the callback; resolves to its response (where it sends the browser). */
  const visit = (callbackUrl: string) => fetch(callbackUrl, { redirect: 'manual' });

  async function backAtApp(callbackUrl: string) {
    const response = await visit(callbackUrl);
    assert.equal(response.status, 302, await response.clone().text());
    const location = new URL(response.headers.get('location')!);
    assert.equal(`${location.origin}${location.pathname}`, APP);
    return location.searchParams;
  }

  const exchange = (code: string, extra: Record<string, string> = {}) =>
    post(`${origin}/accounts/v1/oauth/token`, { code, ...extra });

  /** Signs in through the provider all the way to a token pair. */
  async function signInWith(subject: string) {
    const params = await backAtApp(await atCallback(subject));
    const code = params.get('code');
    assert.ok(code, `no code: ${params}`);
    const tokens = await exchange(code);
    assert.equal(tokens.status, 200, await tokens.clone().text());
    return (await tokens.json()) as {
      access_token: string;
      refresh_token: string;
      user: { id: string; email: string; email_verified: boolean; username: string };
    };
  }

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  async function auditOf(accessToken: string) {
    const res = await fetch(`${origin}/accounts/v1/user/audit-events`, {
      headers: bearer(accessToken),
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as { items: { type: string; details: Record<string, unknown> }[] })
      .items;
  }

  /** The provider accounts linked to the caller (`GET /user/identities`). */
  async function identitiesOf(accessToken: string) {
    const res = await fetch(`${origin}/accounts/v1/user/identities`, {
      headers: bearer(accessToken),
    });
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as { items: { id: string; provider: string; email: string }[] })
      .items;
  }

  const unlink = (accessToken: string, id: string) =>
    fetch(`${origin}/accounts/v1/user/identities/${id}`, {
      method: 'DELETE',
      headers: bearer(accessToken),
    });

  /** The "a provider was linked" notices mailed to `email` so far. */
  const linkNotices = async (email: string) =>
    (await mailsTo(auth.mailDir, email)).filter((mail) => /provider/i.test(mail.subject));

  /** A registered account whose email is verified through the mailed token. */
  async function verifiedMember() {
    const member = await signUp(origin);
    const mail = await waitForMail(auth.mailDir, member.email, /confirm/i);
    const verified = await post(`${origin}/accounts/v1/verify-email`, { token: tokenIn(mail) });
    assert.equal(verified.status, 204);
    return member;
  }

  /**
   * Turns TOTP on for `member` (a fresh verified one by default); the step spent to turn it on is
   * the current one, so the next sign-in needs the next step's code (`nextCode`).
   */
  async function memberWithTotp(given?: Awaited<ReturnType<typeof verifiedMember>>) {
    const member = given ?? (await verifiedMember());
    const asMember = { ...bearer(member.accessToken), 'content-type': 'application/json' };
    const started = await fetch(`${origin}/accounts/v1/user/mfa/totp`, {
      method: 'POST',
      headers: asMember,
      body: JSON.stringify({ current_password: member.password }),
    });
    assert.equal(started.status, 200, await started.clone().text());
    const { secret } = (await started.json()) as { secret: string };
    const totp = new TOTP({ secret: Secret.fromBase32(secret) });
    const on = await fetch(`${origin}/accounts/v1/user/mfa/totp/verify`, {
      method: 'POST',
      headers: asMember,
      body: JSON.stringify({ code: totp.generate() }),
    });
    assert.equal(on.status, 200, await on.clone().text());
    const { recovery_codes } = (await on.json()) as { recovery_codes: string[] };
    const nextCode = () => totp.generate({ timestamp: Date.now() + 30_000 });
    return { member, totp, nextCode, recoveryCodes: recovery_codes };
  }

  const unique = () => randomBytes(4).toString('hex');

  return {
    APP,
    origin,
    callback,
    idp,
    auth,
    authorizeUrl,
    idpAccount,
    atCallback,
    visit,
    backAtApp,
    exchange,
    signInWith,
    bearer,
    auditOf,
    identitiesOf,
    unlink,
    linkNotices,
    verifiedMember,
    memberWithTotp,
    unique,
  };
}
