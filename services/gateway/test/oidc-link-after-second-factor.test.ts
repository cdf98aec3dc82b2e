import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startOidcSignIn } from './oidc-harness.ts';
import { post, tokenIn, waitForMail } from './services.ts';

/**
 * A provider whose verified email matches an account's verified email is linked to that account
 * only when the sign-in completes: at the code exchange, or, with MFA on, once the second factor
 * passed. Linked at the callback, whoever holds such a provider account kept a way in without
 * ever passing the owner's second factor (or even spending the code).
 */
const oidc = await startOidcSignIn();
const { origin, idpAccount, atCallback, backAtApp, exchange, identitiesOf, linkNotices } = oidc;

const refresh = (token: string) => post(`${origin}/accounts/v1/refresh`, { refresh_token: token });
const secondFactor = (mfaToken: string, proof: Record<string, string>) =>
  post(`${origin}/accounts/v1/login/mfa`, { mfa_token: mfaToken, ...proof });

/** The one-time code the callback hands the app. */
async function codeFor(subject: string) {
  const params = await backAtApp(await atCallback(subject));
  const code = params.get('code');
  assert.ok(code, `no code: ${params}`);
  return code;
}

/** Exchanges a code of an account with MFA on: the challenge's token. */
async function challengeFor(code: string) {
  const exchanged = await exchange(code);
  assert.equal(exchanged.status, 200, await exchanged.clone().text());
  const body = (await exchanged.json()) as { mfa_required?: boolean; mfa_token?: string };
  assert.equal(body.mfa_required, true);
  assert.ok(body.mfa_token);
  return body.mfa_token;
}

/** Nothing linked to the member, nothing audited as linked, no notice mailed. */
async function assertNotLinked(member: { accessToken: string; email: string }, when: string) {
  assert.deepEqual(await identitiesOf(member.accessToken), [], `linked ${when}`);
  const events = await oidc.auditOf(member.accessToken);
  assert.equal(
    events.filter((e) => e.type === 'identity.linked').length,
    0,
    `audited as linked ${when}`,
  );
  assert.deepEqual(await linkNotices(member.email), [], `owner told of a link ${when}`);
}

test('with TOTP on, the provider is linked only once the code passes; the session it opens carries it', async () => {
  const { member, nextCode } = await oidc.memberWithTotp();
  const subject = idpAccount({ email: member.email, email_verified: true });
  const code = await codeFor(subject);
  await assertNotLinked(member, 'at the callback');

  const mfaToken = await challengeFor(code);
  await assertNotLinked(member, 'at the code exchange, before the second factor');

  const wrong = await secondFactor(mfaToken, { code: '000000' });
  assert.equal(wrong.status, 401, await wrong.clone().text());
  await assertNotLinked(member, 'after a wrong code');

  const passed = await secondFactor(mfaToken, { code: nextCode() });
  assert.equal(passed.status, 200, await passed.clone().text());
  const tokens = (await passed.json()) as { refresh_token: string; user: { id: string } };
  assert.equal(tokens.user.id, member.id);

  const [identity, ...more] = await identitiesOf(member.accessToken);
  assert.ok(identity, 'not linked after the second factor');
  assert.deepEqual(more, []);
  assert.equal(identity.provider, 'test');
  const events = await oidc.auditOf(member.accessToken);
  assert.deepEqual(
    events.slice(0, 2).map((e) => [e.type, e.details.how ?? e.details.method]),
    [
      ['login.succeeded', 'oidc'],
      ['identity.linked', 'verified_email'],
    ],
  );
  assert.equal(events[1]!.details.identity_id, identity.id);
  assert.equal((await waitForNotice(member.email)).length, 1);

  // The session carries the identity: unlinking it signs that session out.
  const unlinked = await oidc.unlink(member.accessToken, identity.id);
  assert.equal(unlinked.status, 204, await unlinked.clone().text());
  assert.equal((await refresh(tokens.refresh_token)).status, 401);
});

test('a sign-in abandoned before the exchange or at the second factor links nothing', async () => {
  const { member, nextCode } = await oidc.memberWithTotp();
  const subject = idpAccount({ email: member.email, email_verified: true });
  // A code never exchanged.
  await codeFor(subject);
  // A challenge never answered, and one answered only wrongly.
  await challengeFor(await codeFor(subject));
  const failed = await challengeFor(await codeFor(subject));
  const wrongProofs: Record<string, string>[] = [
    { code: '123456' },
    { recovery_code: 'AAAA-BBBB-CCCC' },
  ];
  for (const proof of wrongProofs) {
    const res = await secondFactor(failed, proof);
    assert.equal(res.status, 401, await res.clone().text());
  }
  await assertNotLinked(member, 'by abandoned sign-ins');

  // The owner's own password sign-in with its code does not complete them either.
  const login = await post(`${origin}/accounts/v1/login`, {
    email: member.email,
    password: member.password,
  });
  const { mfa_token } = (await login.json()) as { mfa_token: string };
  const own = await secondFactor(mfa_token, { code: nextCode() });
  assert.equal(own.status, 200, await own.clone().text());
  await assertNotLinked(member, 'by the owner’s own sign-in');
});

test('without MFA the link is made at the code exchange, and the session carries it', async () => {
  const member = await oidc.verifiedMember();
  const subject = idpAccount({ email: member.email, email_verified: true });
  const code = await codeFor(subject);
  await assertNotLinked(member, 'at the callback');

  const exchanged = await exchange(code);
  assert.equal(exchanged.status, 200, await exchanged.clone().text());
  const tokens = (await exchanged.json()) as { refresh_token: string; user: { id: string } };
  assert.equal(tokens.user.id, member.id);
  const [identity] = await identitiesOf(member.accessToken);
  assert.ok(identity, 'not linked at the exchange');
  assert.equal((await waitForNotice(member.email)).length, 1);
  assert.equal((await oidc.unlink(member.accessToken, identity.id)).status, 204);
  assert.equal((await refresh(tokens.refresh_token)).status, 401);
});

test('MFA turned on between the callback and the exchange: the link waits for the second factor (a recovery code)', async () => {
  const member = await oidc.verifiedMember();
  const subject = idpAccount({ email: member.email, email_verified: true });
  const code = await codeFor(subject);
  const { recoveryCodes } = await oidc.memberWithTotp(member);

  const mfaToken = await challengeFor(code);
  await assertNotLinked(member, 'at an exchange that needs a second factor');

  const passed = await secondFactor(mfaToken, { recovery_code: recoveryCodes[0]! });
  assert.equal(passed.status, 200, await passed.clone().text());
  const tokens = (await passed.json()) as { refresh_token: string };
  const [identity] = await identitiesOf(member.accessToken);
  assert.ok(identity, 'not linked after the recovery code');
  assert.equal((await waitForNotice(member.email)).length, 1);
  assert.equal((await oidc.unlink(member.accessToken, identity.id)).status, 204);
  assert.equal((await refresh(tokens.refresh_token)).status, 401);
});

test('two sign-ins of one provider account in flight: both complete, on one link, told once', async () => {
  const member = await oidc.verifiedMember();
  const subject = idpAccount({ email: member.email, email_verified: true });
  const first = await codeFor(subject);
  const second = await codeFor(subject);
  const tokens = [];
  for (const code of [first, second]) {
    const exchanged = await exchange(code);
    assert.equal(exchanged.status, 200, await exchanged.clone().text());
    tokens.push((await exchanged.json()) as { refresh_token: string });
  }
  const identities = await identitiesOf(member.accessToken);
  assert.equal(identities.length, 1);
  assert.equal((await waitForNotice(member.email)).length, 1);
  // Both sessions carry the one identity.
  assert.equal((await oidc.unlink(member.accessToken, identities[0]!.id)).status, 204);
  for (const pair of tokens) assert.equal((await refresh(pair.refresh_token)).status, 401);
});

test('a provider account linked to another account while its sign-in waited is refused, not a 500', async () => {
  const first = await oidc.verifiedMember();
  const { member: withTotp, nextCode } = await oidc.memberWithTotp();
  const other = await oidc.verifiedMember();
  const subject = idpAccount({ email: first.email, email_verified: true });
  const code = await codeFor(subject);
  oidc.idp.accounts.set(subject, { email: withTotp.email, email_verified: true });
  const mfaToken = await challengeFor(await codeFor(subject));
  // The provider account changes its email to a third member's and signs in all the way.
  oidc.idp.accounts.set(subject, { email: other.email, email_verified: true });
  const linkedToOther = await oidc.signInWith(subject);
  assert.equal(linkedToOther.user.id, other.id);

  const exchanged = await exchange(code);
  assert.equal(exchanged.status, 400, await exchanged.clone().text());
  assert.equal(((await exchanged.json()) as { code: string }).code, 'invalid_code');
  await assertNotLinked(first, 'to the first account');
  const passed = await secondFactor(mfaToken, { code: nextCode() });
  assert.equal(passed.status, 401, await passed.clone().text());
  assert.equal(((await passed.json()) as { code: string }).code, 'invalid_mfa_token');
  await assertNotLinked(withTotp, 'to the account with TOTP');
  assert.equal((await identitiesOf(other.accessToken)).length, 1);
});

test('an account whose email changed while the sign-in waited is not linked to the old address’s provider', async () => {
  const member = await oidc.verifiedMember();
  const subject = idpAccount({ email: member.email, email_verified: true });
  const code = await codeFor(subject);
  const moved = `moved.${member.email}`;
  const changed = await fetch(`${origin}/accounts/v1/user`, {
    method: 'PATCH',
    headers: { ...oidc.bearer(member.accessToken), 'content-type': 'application/json' },
    body: JSON.stringify({ email: moved, current_password: member.password }),
  });
  assert.equal(changed.status, 200, await changed.clone().text());
  const confirm = await waitForMail(oidc.auth.mailDir, moved, /confirm/i);
  assert.equal(
    (await post(`${origin}/accounts/v1/verify-email`, { token: tokenIn(confirm) })).status,
    204,
  );

  const exchanged = await exchange(code);
  assert.equal(exchanged.status, 400, await exchanged.clone().text());
  assert.equal(((await exchanged.json()) as { code: string }).code, 'invalid_code');
  await assertNotLinked(member, 'to an account that left the address');
});

test('the provider’s email in other letter case is the same address, at the callback and at completion', async () => {
  const member = await oidc.verifiedMember();
  const subject = idpAccount({ email: member.email.toUpperCase(), email_verified: true });
  const exchanged = await exchange(await codeFor(subject));
  assert.equal(exchanged.status, 200, await exchanged.clone().text());
  assert.equal(((await exchanged.json()) as { user: { id: string } }).user.id, member.id);
  assert.equal((await identitiesOf(member.accessToken)).length, 1);
});

/**
 * A sign-in that began before the provider was linked carries the link itself, not the identity:
 * unlinking it must end that sign-in too (its code, its challenge), else it puts back the link
 * the owner just removed as soon as it completes.
 */
test('unlinking a provider ends its sign-ins that were to link it (a code, a challenge)', async () => {
  const { member, nextCode, recoveryCodes } = await oidc.memberWithTotp();
  const subject = idpAccount({ email: member.email, email_verified: true });
  const linking = await challengeFor(await codeFor(subject));
  const waiting = await challengeFor(await codeFor(subject));
  const unexchanged = await codeFor(subject);
  assert.equal((await secondFactor(linking, { code: nextCode() })).status, 200);
  const [identity] = await identitiesOf(member.accessToken);
  assert.ok(identity);
  assert.equal((await oidc.unlink(member.accessToken, identity.id)).status, 204);

  const passed = await secondFactor(waiting, { recovery_code: recoveryCodes[0]! });
  assert.equal(passed.status, 401, await passed.clone().text());
  assert.equal(((await passed.json()) as { code: string }).code, 'invalid_mfa_token');
  const exchanged = await exchange(unexchanged);
  assert.equal(exchanged.status, 400, await exchanged.clone().text());
  assert.equal(((await exchanged.json()) as { code: string }).code, 'invalid_code');
  assert.deepEqual(await identitiesOf(member.accessToken), []);
});

/** The link notices to `email`, once the one expected has arrived (mail is written after commit). */
async function waitForNotice(email: string) {
  let notices = await linkNotices(email);
  for (let i = 0; i < 50 && notices.length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    notices = await linkNotices(email);
  }
  return notices;
}
