import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt } from 'jose';
import { openDatabase } from '../src/db/index.ts';
import { pruneExpired } from '../src/internal/prune.ts';
import { tokenIn, waitForMail } from './accounts-mail.ts';
import { bearer, buildTestAuth, login, sql as runSql, signUp } from './helper.ts';

const ADMIN = { email: 'auditor@example.com', password: 'audit admin passphrase 3' };
const auth = await buildTestAuth({ ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password });
const { app } = auth;
const admin = await login(app, ADMIN.email, ADMIN.password);
const adminId = decodeJwt(admin.accessToken).sub!;
const sql = (text: string, values: unknown[] = []) => runSql(auth.databaseUrl, text, values);
const AGENT = { 'user-agent': 'AuditTest/1.0' };

interface AuditItem {
  id: string;
  type: string;
  user_id: string | null;
  actor_id: string | null;
  ip: string | null;
  user_agent: string | null;
  at: string;
  details: Record<string, unknown>;
}

const own = async (token: string, query = '') => {
  const res = await app.inject({
    url: `/accounts/v1/user/audit-events${query}`,
    headers: bearer(token),
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as { items: AuditItem[]; next_cursor: string | null };
};
const all = (query: string, token = admin.accessToken) =>
  app.inject({ url: `/accounts/v1/audit-events${query}`, headers: bearer(token) });
const loginAs = (payload: object) =>
  app.inject({ method: 'POST', url: '/accounts/v1/login', headers: AGENT, payload });

test('sign-ins, failed ones and sign-outs are the user’s own events, newest first', async () => {
  const user = await signUp(app);
  assert.equal(
    (await loginAs({ email: user.email, password: 'not the password 1' })).statusCode,
    401,
  );
  const second = (await loginAs({ username: user.username, password: user.password })).json();
  const out = await app.inject({
    method: 'POST',
    url: '/accounts/v1/logout',
    headers: { ...bearer(second.access_token), ...AGENT },
  });
  assert.equal(out.statusCode, 204);

  const { items, next_cursor } = await own(user.accessToken);
  assert.equal(next_cursor, null);
  assert.deepEqual(
    items.map((e) => e.type),
    ['logout', 'login.succeeded', 'login.failed', 'login.succeeded'],
  );
  const [logout, succeeded, failed] = items;
  const sessionId = decodeJwt(second.access_token).sid;
  assert.deepEqual(logout!.details, { session_ids: [sessionId] });
  assert.equal(logout!.actor_id, user.id);
  assert.deepEqual(succeeded!.details, { session_id: sessionId, method: 'password' });
  assert.equal(succeeded!.user_id, user.id);
  assert.equal(succeeded!.actor_id, user.id);
  assert.equal(succeeded!.user_agent, 'AuditTest/1.0');
  assert.equal(succeeded!.ip, '127.0.0.1');
  assert.deepEqual(failed!.details, { reason: 'invalid_password', method: 'password' });
  assert.equal(failed!.actor_id, null, 'a failed sign-in proves nobody');
  assert.ok(Number.isFinite(Date.parse(failed!.at)));
  for (const item of items) assert.match(item.id, /^\d+$/);
  // Nothing typed is stored: neither the wrong password nor the right one.
  const stored = JSON.stringify(await sql('select * from audit_events'));
  assert.ok(!stored.includes('not the password 1'));
  assert.ok(!stored.includes(user.password));
});

test('a failed sign-in to no account is recorded without what was typed, and answers alike', async () => {
  const typed = `ghost${Date.now()}@example.com`;
  const unknown = await loginAs({ email: typed, password: 'ghost password 99' });
  const user = await signUp(app);
  const wrong = await loginAs({ email: user.email, password: 'ghost password 99' });
  assert.equal(unknown.statusCode, 401);
  const strip = (body: Record<string, unknown>) => ({ ...body, request_id: undefined });
  assert.deepEqual(strip(unknown.json()), strip(wrong.json()));

  const res = await all('?type=login.failed&limit=100');
  const ghost = (res.json().items as AuditItem[]).find(
    (e) => e.user_id === null && e.details.reason === 'unknown_account',
  );
  assert.ok(ghost, 'the unknown account’s attempt is in the admin view');
  assert.equal(ghost.actor_id, null);
  const stored = JSON.stringify(await sql('select * from audit_events'));
  assert.ok(!stored.includes(typed) && !stored.includes('ghost password 99'));
});

test('a reused refresh token is recorded against the session’s owner', async () => {
  const user = await signUp(app);
  const refresh = (token: string) =>
    app.inject({ method: 'POST', url: '/accounts/v1/refresh', payload: { refresh_token: token } });
  assert.equal((await refresh(user.refreshToken)).statusCode, 200);
  assert.equal((await refresh(user.refreshToken)).statusCode, 401);
  const fresh = await login(app, user.email, user.password);
  const [reuse] = (await own(fresh.accessToken, '?type=token.reuse_detected')).items;
  assert.equal(reuse?.user_id, user.id);
  assert.equal(reuse.actor_id, null);
  assert.deepEqual(reuse.details, {
    session_id: decodeJwt(user.accessToken).sid,
    session_revoked: true,
  });
});

test('password change and reset, email change and its confirmation are recorded', async () => {
  const user = await signUp(app);
  const changed = await app.inject({
    method: 'POST',
    url: '/accounts/v1/change-password',
    headers: bearer(user.accessToken),
    payload: { current_password: user.password, new_password: 'audited passphrase 11' },
  });
  assert.equal(changed.statusCode, 204);

  await app.inject({
    method: 'POST',
    url: '/accounts/v1/reset-password',
    payload: { email: user.email },
  });
  const resetToken = tokenIn(await waitForMail(auth, user.email, 'Reset your password'));
  const reset = await app.inject({
    method: 'POST',
    url: '/accounts/v1/reset-password/confirm',
    payload: { token: resetToken, new_password: 'audited passphrase 22' },
  });
  assert.equal(reset.statusCode, 204);

  const session = await login(app, user.email, 'audited passphrase 22');
  const newEmail = `moved${Date.now()}@example.com`;
  const patched = await app.inject({
    method: 'PATCH',
    url: '/accounts/v1/user',
    headers: bearer(session.accessToken),
    payload: { email: newEmail, current_password: 'audited passphrase 22' },
  });
  assert.equal(patched.statusCode, 200, patched.body);
  const confirmToken = tokenIn(await waitForMail(auth, newEmail, 'Confirm your new email address'));
  const verified = await app.inject({
    method: 'POST',
    url: '/accounts/v1/verify-email',
    payload: { token: confirmToken },
  });
  assert.equal(verified.statusCode, 204);

  const types = (await own(session.accessToken)).items.map((e) => e.type);
  const expected = ['email.changed', 'email.change_requested', 'login.succeeded', 'password.reset'];
  assert.deepEqual(types.slice(0, 4), expected);
  assert.ok(types.includes('password.changed'));
  const events = (await own(session.accessToken)).items;
  // The change kept its own session; the reset then ended it.
  assert.deepEqual(events.find((e) => e.type === 'password.reset')!.details, {
    revoked_sessions: 1,
  });
  // The addresses stay out of the log: it outlives the account.
  const stored = JSON.stringify(await sql('select details from audit_events'));
  assert.ok(!stored.includes(newEmail) && !stored.includes(user.email));
});

test('a role change names the admin as actor; admins filter, users get 403', async () => {
  const user = await signUp(app);
  const res = await app.inject({
    method: 'PUT',
    url: `/accounts/v1/users/${user.id}/roles`,
    headers: bearer(admin.accessToken),
    payload: { roles: ['editor'] },
  });
  assert.equal(res.statusCode, 200);

  const page = await all(`?user_id=${user.id}&type=roles.changed`);
  assert.equal(page.statusCode, 200);
  const [event] = page.json().items as AuditItem[];
  assert.equal(event?.actor_id, adminId);
  assert.equal(event.user_id, user.id);
  assert.deepEqual(event.details, { from: ['user'], to: ['editor'], revoked_sessions: 1 });
  // The user sees it among their own events too.
  const again = await login(app, user.email, user.password);
  assert.ok((await own(again.accessToken)).items.some((e) => e.type === 'roles.changed'));

  assert.equal((await all('', again.accessToken)).statusCode, 403);
  assert.equal((await app.inject({ url: '/accounts/v1/audit-events' })).statusCode, 401);
  assert.equal((await app.inject({ url: '/accounts/v1/user/audit-events' })).statusCode, 401);
  assert.equal((await all('?user_id=nope')).statusCode, 400);
  assert.equal((await all('?from=yesterday')).statusCode, 400);
  assert.equal((await all('?cursor=bm9wZQ')).statusCode, 400);
  assert.equal((await all('?limit=0')).statusCode, 400);
  // A range that ends before it starts is a mistake to name, as analytics' reports name it.
  const reversed = await all('?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z');
  assert.equal(reversed.statusCode, 400);
  assert.deepEqual(reversed.json().errors, [{ field: 'from', message: 'must be before "to"' }]);

  const future = new Date(Date.now() + 3600_000).toISOString();
  assert.deepEqual((await all(`?user_id=${user.id}&from=${future}`)).json().items, []);
  const before = (await all(`?user_id=${user.id}&to=${future}`)).json().items as AuditItem[];
  assert.ok(before.length >= 3);
  assert.ok(before.every((e) => e.user_id === user.id));
});

test("from and to may be dates alone (YYYY-MM-DD): from that day's start through the whole of the to day", async () => {
  // Were 400 ("must be a date and time"), as analytics' from/to and main's published_after were
  // not: an admin looking through a day's events names the day.
  const day = (offset: number) =>
    new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const today = day(0);
  const user = await signUp(app);
  const session = await login(app, user.email, user.password);
  // One day as from and to is that day, not an empty range refused as reversed.
  const ofToday = await all(`?user_id=${user.id}&from=${today}&to=${today}`);
  assert.equal(ofToday.statusCode, 200, ofToday.body);
  assert.ok((ofToday.json().items as AuditItem[]).some((e) => e.type === 'login.succeeded'));
  assert.deepEqual((await all(`?user_id=${user.id}&from=${day(1)}`)).json().items, []);
  assert.deepEqual((await own(session.accessToken, `?to=${day(-1)}`)).items, []);
  assert.ok((await own(session.accessToken, `?from=${today}&to=${today}`)).items.length > 0);
  for (const query of ['?from=2026-1-1', '?from=2026-02-30']) {
    const bad = await all(query);
    assert.equal(bad.statusCode, 400, query);
    assert.equal(bad.json().errors[0].field, 'from');
  }
});

test('cursors walk a user’s events exactly once; nobody sees another’s', async () => {
  const user = await signUp(app);
  const stranger = await signUp(app);
  for (let i = 0; i < 4; i++) await login(app, user.email, user.password);
  const seen: string[] = [];
  let cursor: string | null = '';
  while (cursor !== null) {
    const page = await own(user.accessToken, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    assert.ok(page.items.length <= 2);
    seen.push(...page.items.map((e) => e.id));
    cursor = page.next_cursor;
  }
  assert.equal(seen.length, 5);
  assert.equal(new Set(seen).size, 5);
  assert.deepEqual(
    seen,
    [...seen].sort((a, b) => Number(b) - Number(a)),
  );
  const theirs = (await own(stranger.accessToken)).items;
  assert.ok(theirs.every((e) => e.user_id === stranger.id));
  // A user_id on the own list is not a way to read someone else's.
  const sneaky = await own(stranger.accessToken, `?user_id=${user.id}`);
  assert.ok(sneaky.items.length > 0);
  assert.ok(sneaky.items.every((e) => e.user_id === stranger.id));
});

test('the log is append-only: updates, deletes and truncation are refused', async () => {
  await signUp(app);
  await assert.rejects(sql(`update audit_events set details = '{}'`), /append-only/);
  await assert.rejects(sql('delete from audit_events'), /append-only/);
  await assert.rejects(sql('truncate audit_events'), /append-only/);
  // Announcing a retention does not make young rows deletable.
  await assert.rejects(
    sql(`begin; set local audit.retention_days = '1'; delete from audit_events; commit`),
    /append-only/,
  );
});

test('pruning deletes events older than the retention and keeps the rest', async () => {
  const user = await signUp(app);
  await sql(
    `insert into audit_events (type, user_id, at) values
       ('login.succeeded', $1, now() - interval '401 days'),
       ('login.succeeded', $1, now() - interval '399 days')`,
    [user.id],
  );
  const database = await openDatabase(auth.databaseUrl);
  try {
    const deleted = await pruneExpired({ db: database.db, config: auth.config });
    assert.equal(deleted.auditEvents, 1);
  } finally {
    await database.close();
  }
  const left = await sql(
    `select round(extract(epoch from now() - at) / 86400) as days from audit_events
      where user_id = $1 order by at`,
    [user.id],
  );
  assert.deepEqual(
    left.map((r) => Number(r.days)),
    [399, 0],
  );
});
