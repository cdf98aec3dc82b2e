import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { startOidcSignIn } from './oidc-harness.ts';
import { eventually, post } from './services.ts';

/**
 * A provider identity removed while a sign-in through it is under way (the owner unlinks it from
 * another tab): each step after that refuses cleanly, never a 500, and no session is opened for
 * an identity that no longer exists.
 */
const oidc = await startOidcSignIn();
const { auth, idpAccount, atCallback, identitiesOf } = oidc;

/** A verified member whose provider account is linked already; with TOTP on when asked. */
async function linkedMember(withTotp: boolean) {
  const totp = withTotp ? await oidc.memberWithTotp() : undefined;
  const member = totp?.member ?? (await oidc.verifiedMember());
  const subject = idpAccount({ email: member.email, email_verified: true });
  const code = (await oidc.backAtApp(await atCallback(subject))).get('code')!;
  const exchanged = await oidc.exchange(code);
  assert.equal(exchanged.status, 200, await exchanged.clone().text());
  if (totp) {
    const { mfa_token } = (await exchanged.json()) as { mfa_token: string };
    const passed = await post(`${oidc.origin}/accounts/v1/login/mfa`, {
      mfa_token,
      code: totp.nextCode(),
    });
    assert.equal(passed.status, 200, await passed.clone().text());
  }
  const [identity] = await identitiesOf(member.accessToken);
  assert.ok(identity);
  return { member, subject, identity, recoveryCodes: totp?.recoveryCodes ?? [] };
}

async function withDb<T>(use: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client({ connectionString: auth.databaseUrl });
  await db.connect();
  try {
    return await use(db);
  } finally {
    await db.end();
  }
}

const sessionsOpenedBy = (identityId: string) =>
  withDb(async (db) => {
    const { rows } = await db.query('select id from sessions where identity_id = $1', [identityId]);
    return rows.length;
  });

test('a callback racing the unlink of its identity sends the browser back with an error, not a 500', async () => {
  const { member, subject, identity } = await linkedMember(false);
  const callbackUrl = await atCallback(subject);
  // The unlink, begun and not yet committed: the callback has found the identity and waits on its
  // row; the unlink commits, and the identity is gone when the callback goes on.
  await withDb(async (db) => {
    await db.query('begin');
    await db.query('delete from user_identities where id = $1', [identity.id]);
    const visiting = oidc.visit(callbackUrl);
    await eventually(async () => {
      const { rows } = await db.query(
        `select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
      );
      return rows.length > 0;
    });
    await db.query('commit');
    const res = await visiting;
    assert.equal(res.status, 302, await res.clone().text());
    const location = new URL(res.headers.get('location')!);
    assert.equal(`${location.origin}${location.pathname}`, oidc.APP);
    assert.equal(location.searchParams.get('code'), null);
    assert.equal(location.searchParams.get('error'), 'sign_in_failed');
    assert.ok(location.searchParams.get('error_description'));
  });
  assert.deepEqual(await identitiesOf(member.accessToken), []);
  const [event] = await oidc.auditOf(member.accessToken);
  assert.equal(event?.type, 'login.failed');
  assert.deepEqual(event?.details, { method: 'oidc', provider: 'test', reason: 'sign_in_failed' });
});

test('a callback racing the deletion of the account it links to sends the browser back with an error', async () => {
  const member = await oidc.verifiedMember();
  const callbackUrl = await atCallback(idpAccount({ email: member.email, email_verified: true }));
  // The deletion, begun and not yet committed: the callback finds the account, and its login
  // code waits on the account's row; the deletion commits.
  await withDb(async (db) => {
    await db.query('begin');
    await db.query('delete from users where id = $1', [member.id]);
    const visiting = oidc.visit(callbackUrl);
    await eventually(async () => {
      const { rows } = await db.query(
        `select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
      );
      return rows.length > 0;
    });
    await db.query('commit');
    const res = await visiting;
    assert.equal(res.status, 302, await res.clone().text());
    const params = new URL(res.headers.get('location')!).searchParams;
    assert.equal(params.get('code'), null);
    assert.equal(params.get('error'), 'sign_in_failed');
  });
});

/**
 * An account deletion locks the user's row and then, by its cascade, the identities; a callback
 * through a linked identity touched (locked) the identity and then stored its login code, whose
 * foreign key waits on the user's row: the opposite order, which PostgreSQL ended as a deadlock
 * (the callback a 500, or the deletion). Played with the deletion's own statements: its row lock
 * taken before the callback asks for it, its delete (and cascade) once the callback waits.
 */
test('a callback through a linked identity racing the deletion of its account does not deadlock', async () => {
  const { member, subject } = await linkedMember(false);
  const callbackUrl = await atCallback(subject);
  const waiting = (db: pg.Client, n: number) =>
    eventually(async () => {
      const { rows } = await db.query(
        `select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
      );
      return rows.length >= n;
    });
  await withDb(async (db) => {
    await db.query('begin');
    await db.query('select id from users where id = $1 for update', [member.id]);
    const visiting = oidc.visit(callbackUrl);
    await waiting(db, 1);
    // Cascades to the identity: it must not be held by the callback that waits on the user.
    let deletion: unknown;
    await db.query('delete from users where id = $1', [member.id]).catch((error) => {
      deletion = error;
    });
    await db.query(deletion ? 'rollback' : 'commit');
    const res = await visiting;
    assert.equal(deletion, undefined, 'the deletion went through');
    assert.equal(res.status, 302, await res.clone().text());
    const params = new URL(res.headers.get('location')!).searchParams;
    assert.equal(params.get('code'), null);
    assert.equal(params.get('error'), 'sign_in_failed');
  });
});

test('an identity removed between the callback and the code exchange: the code is refused', async () => {
  const { subject, identity } = await linkedMember(false);
  const code = (await oidc.backAtApp(await atCallback(subject))).get('code')!;
  const before = await sessionsOpenedBy(identity.id);
  await withDb((db) => db.query('delete from user_identities where id = $1', [identity.id]));
  const exchanged = await oidc.exchange(code);
  assert.equal(exchanged.status, 400, await exchanged.clone().text());
  assert.equal(((await exchanged.json()) as { code: string }).code, 'invalid_code');
  assert.equal(await sessionsOpenedBy(identity.id), before);
});

test('an identity removed while its sign-in waits for the second factor opens no session', async () => {
  const { subject, identity, recoveryCodes } = await linkedMember(true);
  const code = (await oidc.backAtApp(await atCallback(subject))).get('code')!;
  const exchanged = await oidc.exchange(code);
  const { mfa_token } = (await exchanged.json()) as { mfa_token: string };
  assert.ok(mfa_token);
  const before = await sessionsOpenedBy(identity.id);
  // Removed by a path that leaves the challenge (unlinking ends it too; this checks the last step
  // itself): the challenge names an identity that is gone.
  await withDb((db) => db.query('delete from user_identities where id = $1', [identity.id]));
  const second = await post(`${oidc.origin}/accounts/v1/login/mfa`, {
    mfa_token,
    recovery_code: recoveryCodes[0],
  });
  assert.equal(second.status, 401, await second.clone().text());
  assert.equal(((await second.json()) as { code: string }).code, 'invalid_mfa_token');
  assert.equal(await sessionsOpenedBy(identity.id), before);
});
