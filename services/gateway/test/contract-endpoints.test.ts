import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { loggerOptions } from '@platform/http';
import { freePort } from '@platform/launcher';
import { logCapture, startedSideBySide, TEST_SECRETS } from '@platform/testing';
import { Secret, TOTP } from 'otpauth';
import pino from 'pino';
import { startAnalyticsService } from './analytics-service.ts';
import { closeAtEnd, startGateway } from './helpers.ts';
import {
  eventually,
  signUp,
  startAuthService,
  startService,
  tokenIn,
  waitForMail,
} from './services.ts';

/**
 * The outside contract (/work/shared/contract.md) row by row, as a client that knows only the
 * contract sees it through the real gateway in front of the real auth, main and analytics
 * services: paths, methods, status codes, body field names, error codes, who may call what.
 */
const ADMIN = { email: 'contract-admin@example.com', password: 'admin password for contract' };
const { cleanup } = closeAtEnd();

const mainPort = await freePort();
const analyticsPort = await freePort();
const auth = await startAuthService({
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
  EVENT_SUBSCRIBERS: `main:user.deleted=http://127.0.0.1:${mainPort};analytics:*=http://127.0.0.1:${analyticsPort}`,
});
cleanup(auth.stop);
// main and analytics start side by side: both only wait for auth.
const [main, analytics] = await startedSideBySide(cleanup, [
  startService('main', {
    AUTH_URL: auth.url,
    PORT: String(mainPort),
    EVENT_SUBSCRIBERS: `analytics:*=http://127.0.0.1:${analyticsPort}`,
  }),
  startAnalyticsService({
    authUrl: auth.url,
    serviceToken: TEST_SECRETS.SERVICE_TOKEN,
    port: analyticsPort,
  }),
]);
// The gateway's log, for its one access line per request.
const gatewayLog = logCapture();
const { app, url } = await startGateway(
  {
    AUTH_URLS: auth.url,
    MAIN_URLS: main.url,
    ANALYTICS_URLS: analytics.url,
    // Where the gateway sends its performance samples, as npm start sets it.
    ANALYTICS_URL: analytics.url,
  },
  { auth: 'real', logger: pino(loggerOptions('gateway', 'info'), gatewayLog.stream) },
);
cleanup(() => app.close());
await eventually(async () => (await fetch(`${url}/health`)).status === 200, 60_000);

type Body = Record<string, unknown>;
const call = async (method: string, path: string, token?: string, body?: unknown) => {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const json = text && /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : {};
  return { status: res.status, headers: res.headers, body: json as Body, text };
};
const signIn = async (email: string, password: string) => {
  const res = await call('POST', '/accounts/v1/login', undefined, { email, password });
  assert.equal(res.status, 200, res.text);
  return res.body as { access_token: string; refresh_token: string; user: { id: string } };
};
const adminToken = (await signIn(ADMIN.email, ADMIN.password)).access_token;
/** The code an authenticator app shows `steps` periods from now. */
const codeAt = (secret: string, steps = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret) }).generate({
    timestamp: Date.now() + steps * 30_000,
  });

const USER_FIELDS = [
  'avatar_url',
  'bio',
  'created_at',
  'display_name',
  'email',
  'email_verified',
  'id',
  'mfa_enabled',
  'pending_email',
  'permissions',
  'roles',
  'username',
];
const PROBLEM_FIELDS = ['code', 'detail', 'request_id', 'status', 'title', 'type'];
const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

function assertProblem(
  res: { status: number; headers: Headers; body: Body; text: string },
  status: number,
  code?: string,
) {
  assert.equal(res.status, status, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  for (const field of PROBLEM_FIELDS) assert.ok(field in res.body, `${field} in ${res.text}`);
  assert.equal(res.body.status, status);
  assert.match(String(res.body.code), /^[a-z][a-z0-9_]*$/);
  if (code) assert.equal(res.body.code, code, res.text);
}

function assertUser(user: unknown) {
  assert.deepEqual(Object.keys(user as Body).sort(), USER_FIELDS);
  const u = user as Body;
  assert.equal(typeof u.id, 'string');
  assert.match(String(u.created_at), ISO_UTC);
}

test('everywhere: problems carry every field and a code; the request id comes back', async () => {
  const unknown = await call('GET', '/nowhere/v1/things');
  assertProblem(unknown, 404, 'not_found');
  assert.ok(unknown.headers.get('x-request-id'));

  for (const path of ['/main/v1/nothing', '/accounts/v1/nothing', '/analytics/v1/nothing']) {
    assertProblem(await call('GET', path), 404, 'not_found');
  }
  // A path asked with a method it has no route for: 405 naming the methods it has.
  for (const [method, path, allow] of [
    ['PUT', '/main/v1/posts', 'GET, HEAD, POST, OPTIONS'],
    ['DELETE', '/accounts/v1/register', 'POST, OPTIONS'],
    ['POST', '/analytics/v1/user-activity', 'GET, HEAD, OPTIONS'],
    // Methods Fastify routes only when told (WebDAV's): the gateway answered these itself, naming
    // every method of its catch-all (PUT, PATCH, DELETE on /main/v1/posts), not the service's.
    ['PROPFIND', '/main/v1/posts', 'GET, HEAD, POST, OPTIONS'],
    ['LOCK', '/accounts/v1/register', 'POST, OPTIONS'],
  ] as const) {
    const wrong = await call(method, path);
    assertProblem(wrong, 405, 'method_not_allowed');
    assert.equal(wrong.headers.get('allow'), allow, `${method} ${path}`);
  }

  const mine = await fetch(`${url}/main/v1/posts`, { headers: { 'x-request-id': 'contract-42' } });
  assert.equal(mine.headers.get('x-request-id'), 'contract-42');
  for (const path of ['/health', '/docs', '/accounts/v1/openapi.json']) {
    const id = `contract${path.replace(/\//g, '.')}`;
    const res = await fetch(`${url}${path}`, { headers: { 'x-request-id': id } });
    assert.equal(res.headers.get('x-request-id'), id, path);
  }

  const invalid = await call('POST', '/accounts/v1/register', undefined, { email: 'x' });
  assertProblem(invalid, 400, 'validation_failed');
  const errors = invalid.body.errors as { field: string; message: string }[];
  assert.ok(Array.isArray(errors) && errors.length > 0);
  for (const e of errors) assert.deepEqual(Object.keys(e).sort(), ['field', 'message']);

  assertProblem(await call('GET', '/accounts/v1/user'), 401);
  assertProblem(await call('GET', '/accounts/v1/user', 'not-a-token'), 401);
  const user = await signUp(url);
  assertProblem(await call('GET', '/accounts/v1/users', user.accessToken), 403);
});

test('gateway: one JSON access line per request, with its request id and user id', async () => {
  const user = await signUp(url);
  const id = `contract-access-${crypto.randomUUID()}`;
  const res = await fetch(`${url}/accounts/v1/user`, {
    headers: { authorization: `Bearer ${user.accessToken}`, 'x-request-id': id },
  });
  assert.equal(res.status, 200);
  let lines: Body[] = [];
  await eventually(async () => {
    lines = gatewayLog.lines.map((l) => JSON.parse(l) as Body).filter((l) => l.request_id === id);
    return lines.length > 0;
  });
  assert.equal(lines.length, 1, JSON.stringify(lines));
  const line = lines[0]!;
  assert.equal(line.user_id, user.id);
  assert.equal(line.method, 'GET');
  assert.equal(line.route, '/accounts/v1/user');
  assert.equal(line.status, 200);
  assert.equal(typeof line.duration_ms, 'number');
});

test('everywhere: each service serves its OpenAPI document and health through the gateway', async () => {
  for (const prefix of ['accounts', 'main', 'analytics']) {
    const doc = await call('GET', `/${prefix}/v1/openapi.json`);
    assert.equal(doc.status, 200, prefix);
    assert.match(String(doc.body.openapi), /^3\.1/);
  }
  const health = await call('GET', '/health');
  assert.equal(health.status, 200);
  const docs = await fetch(`${url}/docs`);
  assert.equal(docs.status, 200);
  assert.match(docs.headers.get('content-type') ?? '', /html/);
  // The page documents every service's API: the document it shows holds every operation of each.
  const operations = (doc: Body) =>
    Object.entries(doc.paths as Record<string, Body>).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => ['get', 'put', 'post', 'patch', 'delete'].includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
  const merged = new Set(operations((await call('GET', '/docs/json')).body));
  for (const prefix of ['accounts', 'main', 'analytics']) {
    const own = operations((await call('GET', `/${prefix}/v1/openapi.json`)).body);
    assert.ok(own.length > 5, prefix);
    for (const op of own) assert.ok(merged.has(op), `${op} on /docs`);
  }
  const metrics = await fetch(`${url}/metrics`);
  assert.notEqual(metrics.status, 200, 'the gateway metrics are not public');
  for (const path of ['/accounts/internal/x', '/accounts/v1/internal/x', '/internal/x']) {
    assert.equal((await fetch(`${url}${path}`)).status, 404, path);
  }
  const limited = await fetch(`${url}/main/v1/tags`);
  for (const h of ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']) {
    assert.ok(limited.headers.get(h), h);
  }
});

test('everywhere: each service itself serves health, metrics and its OpenAPI document', async () => {
  for (const [service, prefix] of [
    [auth, 'accounts'],
    [main, 'main'],
    [analytics, 'analytics'],
  ] as const) {
    for (const path of ['/health/live', '/health/ready']) {
      assert.equal((await fetch(`${service.url}${path}`)).status, 200, `${prefix} ${path}`);
    }
    const metrics = await fetch(`${service.url}/metrics`);
    assert.equal(metrics.status, 200, `${prefix} /metrics`);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(await metrics.text(), /^# (HELP|TYPE) /m);
    const doc = await fetch(`${service.url}/${prefix}/v1/openapi.json`);
    assert.equal(doc.status, 200, `${prefix} openapi.json`);
    const ids = Object.values(((await doc.json()) as { paths: Record<string, Body> }).paths)
      .flatMap((ops) => Object.values(ops))
      .map((op) => (op as Body).operationId);
    assert.ok(ids.every((id) => typeof id === 'string'));
    assert.equal(new Set(ids).size, ids.length, `${prefix}: unique operationIds`);
    // Internal endpoints need the service token, even straight at the service.
    const [method, path] =
      prefix === 'accounts' ? ['GET', '/internal/revocations'] : ['POST', '/internal/events'];
    const bare = await fetch(`${service.url}${path}`, {
      method,
      ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
    });
    assert.equal(bare.status, 401, `${prefix} ${path} without the service token`);
  }
});

test('accounts: register, login by email and username, refresh, logout', async () => {
  const creds = {
    email: 'c-reg@example.com',
    username: 'c_reg',
    password: 'correct horse battery',
  };
  const reg = await call('POST', '/accounts/v1/register', undefined, creds);
  assert.equal(reg.status, 201, reg.text);
  assertUser(reg.body.user);
  assert.deepEqual(Object.keys(reg.body), ['user']);
  assert.deepEqual((reg.body.user as Body).roles, ['user']);
  assert.equal((reg.body.user as Body).email_verified, false);
  assertProblem(
    await call('POST', '/accounts/v1/register', undefined, { ...creds, username: 'c_reg2' }),
    409,
  );
  assertProblem(
    await call('POST', '/accounts/v1/register', undefined, {
      ...creds,
      email: 'c-reg2@example.com',
    }),
    409,
  );

  const byEmail = await call('POST', '/accounts/v1/login', undefined, {
    email: creds.email,
    password: creds.password,
  });
  assert.equal(byEmail.status, 200);
  assert.deepEqual(Object.keys(byEmail.body).sort(), [
    'access_token',
    'expires_in',
    'refresh_token',
    'token_type',
    'user',
  ]);
  assert.equal(byEmail.body.token_type, 'Bearer');
  // With the default settings, sign-in is held to a stricter limit than the rest.
  const general = Number((await fetch(`${url}/main/v1/tags`)).headers.get('ratelimit-limit'));
  assert.ok(general > 0);
  assert.ok(Number(byEmail.headers.get('ratelimit-limit')) < general, 'login is stricter');
  assert.equal(typeof byEmail.body.expires_in, 'number');
  assertUser(byEmail.body.user);
  // Addresses and user names are taken whatever their case; an address signs in in any case.
  for (const taken of [
    { ...creds, email: creds.email.toUpperCase(), username: 'c_reg3' },
    { ...creds, email: 'c-reg3@example.com', username: creds.username.toUpperCase() },
  ]) {
    assertProblem(await call('POST', '/accounts/v1/register', undefined, taken), 409);
  }
  const upper = await call('POST', '/accounts/v1/login', undefined, {
    email: creds.email.toUpperCase(),
    password: creds.password,
  });
  assert.equal(upper.status, 200, upper.text);
  const byName = await call('POST', '/accounts/v1/login', undefined, {
    username: creds.username,
    password: creds.password,
  });
  assert.equal(byName.status, 200);
  assertProblem(
    await call('POST', '/accounts/v1/login', undefined, { email: creds.email, password: 'nope' }),
    401,
    'invalid_credentials',
  );

  const refreshed = await call('POST', '/accounts/v1/refresh', undefined, {
    refresh_token: byEmail.body.refresh_token,
  });
  assert.equal(refreshed.status, 200);
  assert.ok(refreshed.body.access_token && refreshed.body.refresh_token);
  assert.notEqual(refreshed.body.refresh_token, byEmail.body.refresh_token);
  assertProblem(
    await call('POST', '/accounts/v1/refresh', undefined, {
      refresh_token: byEmail.body.refresh_token,
    }),
    401,
  );
  // The reuse revoked the whole session: the pair it had handed out is refused too.
  assertProblem(
    await call('POST', '/accounts/v1/refresh', undefined, {
      refresh_token: refreshed.body.refresh_token,
    }),
    401,
  );

  const access = byName.body.access_token as string;
  const out = await call('POST', '/accounts/v1/logout', access);
  assert.equal(out.status, 204);
  assert.equal(out.text, '');
  await eventually(async () => (await call('GET', '/accounts/v1/user', access)).status === 401);
  assertProblem(
    await call('POST', '/accounts/v1/refresh', undefined, {
      refresh_token: byName.body.refresh_token,
    }),
    401,
  );
});

test('accounts: the profile, sessions, audit log and roles', async () => {
  const user = await signUp(url);
  const me = await call('GET', '/accounts/v1/user', user.accessToken);
  assert.equal(me.status, 200);
  assertUser(me.body.user);

  const patched = await call('PATCH', '/accounts/v1/user', user.accessToken, {
    display_name: 'Contract Person',
    bio: 'I follow the contract',
  });
  assert.equal(patched.status, 200, patched.text);
  assert.equal((patched.body.user as Body).display_name, 'Contract Person');
  assert.equal((patched.body.user as Body).bio, 'I follow the contract');

  const other = await signIn(user.email, user.password);
  const sessions = await call('GET', '/accounts/v1/user/sessions', user.accessToken);
  assert.equal(sessions.status, 200);
  const items = sessions.body.items as Body[];
  assert.equal(items.length, 2);
  for (const s of items) {
    assert.deepEqual(Object.keys(s).sort(), [
      'created_at',
      'current',
      'id',
      'ip',
      'last_used_at',
      'user_agent',
    ]);
  }
  assert.equal(items.filter((s) => s.current === true).length, 1);
  const theOther = items.find((s) => s.current === false)!;
  assert.equal(
    (await call('DELETE', `/accounts/v1/user/sessions/${theOther.id}`, user.accessToken)).status,
    204,
  );
  await eventually(
    async () => (await call('GET', '/accounts/v1/user', other.access_token)).status === 401,
  );
  assertProblem(
    await call('DELETE', `/accounts/v1/user/sessions/${theOther.id}`, user.accessToken),
    404,
  );

  const own = await call('GET', '/accounts/v1/user/audit-events', user.accessToken);
  assert.equal(own.status, 200);
  assert.ok('next_cursor' in own.body);
  const events = own.body.items as Body[];
  assert.ok(events.length >= 2);
  for (const e of events) {
    assert.deepEqual(Object.keys(e).sort(), [
      'actor_id',
      'at',
      'details',
      'id',
      'ip',
      'type',
      'user_agent',
      'user_id',
    ]);
  }
  const times = events.map((e) => String(e.at));
  assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
  assert.equal(events[0]!.type, 'session.revoked');
  assert.ok(events.some((e) => e.type === 'login.succeeded'));

  assertProblem(await call('GET', '/accounts/v1/audit-events', user.accessToken), 403);
  const filtered = await call(
    'GET',
    `/accounts/v1/audit-events?user_id=${user.id}&type=login.succeeded&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z`,
    adminToken,
  );
  assert.equal(filtered.status, 200, filtered.text);
  const all = filtered.body.items as Body[];
  assert.ok(all.length >= 1);
  for (const e of all) {
    assert.equal(e.user_id, user.id);
    assert.equal(e.type, 'login.succeeded');
  }

  const page = await call('GET', '/accounts/v1/users', adminToken);
  assert.equal(page.status, 200);
  assert.ok(Array.isArray(page.body.items));
  const roles = await call('PUT', `/accounts/v1/users/${user.id}/roles`, adminToken, {
    roles: ['user', 'editor'],
  });
  assert.equal(roles.status, 200, roles.text);
  assertUser(roles.body.user);
  assert.deepEqual(((roles.body.user as Body).roles as string[]).sort(), ['editor', 'user']);
  assertProblem(
    await call('PUT', `/accounts/v1/users/${user.id}/roles`, user.accessToken, {
      roles: ['admin'],
    }),
    403,
  );

  const jwks = await call('GET', '/accounts/v1/.well-known/jwks.json');
  assert.equal(jwks.status, 200);
  assert.ok((jwks.body.keys as unknown[]).length >= 1);
  const providers = await call('GET', '/accounts/v1/oauth/providers');
  assert.equal(providers.status, 200);
  assert.deepEqual(providers.body, { items: [] });
});

test('accounts: mail flows, password changes and account deletion', async () => {
  const creds = {
    email: 'c-mail@example.com',
    username: 'c_mail',
    password: 'correct horse mail',
  };
  assert.equal((await call('POST', '/accounts/v1/register', undefined, creds)).status, 201);
  const verification = await waitForMail(auth.mailDir, creds.email, /verif|confirm/i);
  assert.ok(verification.html, 'an HTML part');
  assert.ok(verification.text, 'a text part');
  assert.match(verification.text ?? verification.body, /\/verify-email\?token=/);
  const verified = await call('POST', '/accounts/v1/verify-email', undefined, {
    token: tokenIn(verification),
  });
  assert.equal(verified.status, 204);
  const first = await signIn(creds.email, creds.password);
  assert.equal((first.user as unknown as Body).email_verified, true);

  const unknown = await call('POST', '/accounts/v1/reset-password', undefined, {
    email: 'nobody-here@example.com',
  });
  assert.equal(unknown.status, 202);
  // With the default settings, password reset is held to a stricter limit than the rest.
  const general = Number((await fetch(`${url}/main/v1/tags`)).headers.get('ratelimit-limit'));
  assert.ok(Number(unknown.headers.get('ratelimit-limit')) < general, 'reset is stricter');
  assert.equal(
    (await call('POST', '/accounts/v1/reset-password', undefined, { email: creds.email })).status,
    202,
  );
  const reset = await waitForMail(auth.mailDir, creds.email, /reset/i);
  assert.match(reset.text ?? reset.body, /\/reset-password\?token=/);
  const token = tokenIn(reset);
  const confirmed = await call('POST', '/accounts/v1/reset-password/confirm', undefined, {
    token,
    new_password: 'a brand new password',
  });
  assert.equal(confirmed.status, 204);
  await eventually(
    async () => (await call('GET', '/accounts/v1/user', first.access_token)).status === 401,
  );
  const spent = await call('POST', '/accounts/v1/reset-password/confirm', undefined, {
    token,
    new_password: 'yet another password',
  });
  assert.equal(spent.status, 400);

  const a = await signIn(creds.email, 'a brand new password');
  const b = await signIn(creds.email, 'a brand new password');
  const changed = await call('POST', '/accounts/v1/change-password', a.access_token, {
    current_password: 'a brand new password',
    new_password: 'the third password',
  });
  assert.equal(changed.status, 204);
  await eventually(
    async () => (await call('GET', '/accounts/v1/user', b.access_token)).status === 401,
  );
  assert.equal((await call('GET', '/accounts/v1/user', a.access_token)).status, 200);

  const gone = await call('DELETE', '/accounts/v1/user', a.access_token, {
    current_password: 'the third password',
  });
  assert.equal(gone.status, 204);
  await eventually(
    async () => (await call('GET', '/accounts/v1/user', a.access_token)).status === 401,
  );
  assert.equal((await call('POST', '/accounts/v1/register', undefined, creds)).status, 201);
});

test('accounts: TOTP on, sign-in in two steps, off', async () => {
  const user = await signUp(url);
  const started = await call('POST', '/accounts/v1/user/mfa/totp', user.accessToken, {
    current_password: user.password,
  });
  assert.equal(started.status, 200, started.text);
  const secret = started.body.secret as string;
  const otpauth = new URL(String(started.body.otpauth_url));
  assert.equal(`${otpauth.protocol}//${otpauth.host}`, 'otpauth://totp');
  assert.equal(otpauth.searchParams.get('secret'), secret);
  // RFC 6238 with SHA-1, 6 digits, 30 s (an app assumes these when they are left out).
  assert.equal(otpauth.searchParams.get('algorithm') ?? 'SHA1', 'SHA1');
  assert.equal(otpauth.searchParams.get('digits') ?? '6', '6');
  assert.equal(otpauth.searchParams.get('period') ?? '30', '30');
  const verified = await call('POST', '/accounts/v1/user/mfa/totp/verify', user.accessToken, {
    code: codeAt(secret),
  });
  assert.equal(verified.status, 200, verified.text);
  const codes = verified.body.recovery_codes as string[];
  assert.equal(codes.length, 10);
  assert.equal(new Set(codes).size, 10);

  const login = await call('POST', '/accounts/v1/login', undefined, {
    email: user.email,
    password: user.password,
  });
  assert.equal(login.status, 200);
  assert.equal(login.body.mfa_required, true);
  assert.deepEqual(login.body.methods, ['totp', 'recovery_code']);
  assert.equal(login.body.access_token, undefined);
  const wrong = await call('POST', '/accounts/v1/login/mfa', undefined, {
    mfa_token: login.body.mfa_token,
    recovery_code: 'not-a-code',
  });
  assert.equal(wrong.status, 401);
  const done = await call('POST', '/accounts/v1/login/mfa', undefined, {
    mfa_token: login.body.mfa_token,
    recovery_code: codes[0],
  });
  assert.equal(done.status, 200, done.text);
  assert.equal(done.body.token_type, 'Bearer');
  assert.equal((done.body.user as Body).mfa_enabled, true);

  const again = await call('POST', '/accounts/v1/login', undefined, {
    email: user.email,
    password: user.password,
  });
  assert.equal(
    (
      await call('POST', '/accounts/v1/login/mfa', undefined, {
        mfa_token: again.body.mfa_token,
        recovery_code: codes[0],
      })
    ).status,
    401,
    'a recovery code works once',
  );

  const off = await call('DELETE', '/accounts/v1/user/mfa/totp', done.body.access_token as string, {
    current_password: user.password,
    // The current period's code was spent enabling MFA; the next one is still accepted.
    code: codeAt(secret, 1),
  });
  assert.equal(off.status, 204, off.text);
  const plain = await signIn(user.email, user.password);
  assert.ok(plain.access_token);
  const types = (
    (await call('GET', '/accounts/v1/user/audit-events', plain.access_token)).body.items as Body[]
  ).map((e) => e.type);
  for (const type of ['mfa.enabled', 'mfa.disabled', 'mfa.recovery_code_used', 'login.failed']) {
    assert.ok(types.includes(type), `${type} in ${types}`);
  }
});

test('accounts: passkey options are JSON for the browser', async () => {
  const user = await signUp(url);
  const creation = await call(
    'POST',
    '/accounts/v1/user/passkeys/registration-options',
    user.accessToken,
  );
  assert.equal(creation.status, 200, creation.text);
  assert.ok(creation.body.challenge && creation.body.rp && creation.body.user);
  const listed = await call('GET', '/accounts/v1/user/passkeys', user.accessToken);
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.body.items, []);
  const request = await call('POST', '/accounts/v1/login/passkey/options', undefined, {});
  assert.equal(request.status, 200, request.text);
  assert.equal(typeof request.body.challenge_id, 'string');
  assert.ok(request.body.challenge);
  const withEmail = await call('POST', '/accounts/v1/login/passkey/options', undefined, {
    email: user.email,
  });
  assert.equal(withEmail.status, 200);
  assertProblem(
    await call('DELETE', `/accounts/v1/user/passkeys/${crypto.randomUUID()}`, user.accessToken),
    404,
  );
});

test('main: posts, who may change them, conditional requests, list filters and cursors', async () => {
  const [alice, bob] = [await signUp(url), await signUp(url)];
  const created = await call('POST', '/main/v1/posts', alice.accessToken, {
    title: 'Contract post',
    body: 'The body of the contract post',
    status: 'published',
    tags: ['contract'],
  });
  assert.equal(created.status, 201, created.text);
  const p = created.body.post as Body;
  assert.deepEqual(Object.keys(p).sort(), [
    'author_id',
    'body',
    'category',
    'created_at',
    'excerpt',
    'id',
    'published_at',
    'slug',
    'status',
    'tags',
    'title',
    'updated_at',
  ]);
  assert.equal(p.author_id, alice.id);
  assert.deepEqual(p.tags, ['contract']);
  assert.equal(p.category, null);
  assert.match(String(p.published_at), ISO_UTC);
  // Where the new post lives, as an absolute path: right against the gateway's base URL too.
  const location = created.headers.get('location');
  assert.equal(location, `/main/v1/posts/${p.id}`);
  assert.equal((await fetch(new URL(location, url))).status, 200);
  assertProblem(await call('POST', '/main/v1/posts', undefined, { title: 't', body: 'b' }), 401);

  const byId = await call('GET', `/main/v1/posts/${p.id}`);
  assert.equal(byId.status, 200);
  const bySlug = await call('GET', `/main/v1/posts/${p.slug}`);
  assert.equal((bySlug.body.post as Body).id, p.id);

  const etag = byId.headers.get('etag');
  assert.ok(etag);
  const fresh = await fetch(`${url}/main/v1/posts/${p.id}`, { headers: { 'if-none-match': etag } });
  assert.equal(fresh.status, 304);
  assert.equal(await fresh.text(), '');
  assert.ok(fresh.headers.get('x-request-id'));

  assertProblem(
    await call('PATCH', `/main/v1/posts/${p.id}`, bob.accessToken, { title: 'Bob was here' }),
    403,
  );
  const patched = await call('PATCH', `/main/v1/posts/${p.id}`, alice.accessToken, {
    title: 'Contract post, edited',
  });
  assert.equal(patched.status, 200);
  const stale = await fetch(`${url}/main/v1/posts/${p.id}`, {
    method: 'PATCH',
    headers: {
      authorization: `Bearer ${alice.accessToken}`,
      'content-type': 'application/json',
      'if-match': etag,
    },
    body: JSON.stringify({ title: 'From a stale copy' }),
  });
  assert.equal(stale.status, 412);
  assert.equal(((await stale.json()) as Body).code, 'version_conflict');
  // The weak form of the current tag is what a client behind NGINX holds (its gzip weakens every
  // ETag it compresses): a change with it goes through, the weak form of a stale one does not.
  const current = patched.headers.get('etag');
  const ifMatch = async (tag: string) =>
    fetch(`${url}/main/v1/posts/${p.id}`, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${alice.accessToken}`,
        'content-type': 'application/json',
        'if-match': tag,
      },
      body: JSON.stringify({ excerpt: 'Changed through a compressing proxy' }),
    });
  assert.equal((await ifMatch(`W/${etag}`)).status, 412);
  const weak = await ifMatch(`W/${current}`);
  assert.equal(weak.status, 200, await weak.text());
  const put = await call('PUT', `/main/v1/posts/${p.id}`, alice.accessToken, {
    title: 'Replaced',
    body: 'Replaced body',
    status: 'published',
  });
  assert.equal(put.status, 200, put.text);

  const draft = await call('POST', '/main/v1/posts', alice.accessToken, {
    title: 'A draft of the contract',
    body: 'Not out yet',
    status: 'draft',
  });
  const draftId = (draft.body.post as Body).id;
  assertProblem(await call('GET', `/main/v1/posts/${draftId}`, bob.accessToken), 404);
  assertProblem(await call('GET', `/main/v1/posts/${draftId}`), 404);
  assert.equal((await call('GET', `/main/v1/posts/${draftId}`, alice.accessToken)).status, 200);
  const drafts = await call('GET', `/main/v1/posts?status=draft&author=${alice.id}`);
  assert.equal(drafts.status, 200);
  assert.deepEqual(drafts.body.items, []);

  for (let i = 0; i < 4; i += 1) {
    await call('POST', '/main/v1/posts', alice.accessToken, {
      title: `Walk ${i}`,
      body: `walking the cursor ${i}`,
      status: 'published',
      tags: ['walk', ...(i % 2 ? ['odd'] : [])],
    });
  }
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await call(
      'GET',
      `/main/v1/posts?tag=walk&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    assert.equal(page.status, 200);
    seen.push(...(page.body.items as Body[]).map((x) => String(x.id)));
    cursor = page.body.next_cursor as string | null;
  } while (cursor);
  assert.equal(seen.length, 4);
  assert.equal(new Set(seen).size, 4);
  const both = await call('GET', '/main/v1/posts?tag=walk&tag=odd');
  assert.equal((both.body.items as Body[]).length, 2);
  const latest = await call('GET', `/main/v1/posts?author=${alice.id}`);
  const published = (latest.body.items as Body[]).map((x) => String(x.published_at));
  assert.deepEqual(published, [...published].sort().reverse(), '-published_at by default');
  const titled = await call('GET', `/main/v1/posts?author=${alice.id}&sort=title`);
  const titles = (titled.body.items as Body[]).map((x) => String(x.title));
  assert.deepEqual(titles, [...titles].sort());
  const found = await call('GET', '/main/v1/posts?q=walking');
  assert.equal((found.body.items as Body[]).length, 4);
  assertProblem(await call('GET', '/main/v1/posts?limit=0'), 400, 'validation_failed');
  assertProblem(await call('GET', '/main/v1/posts?limit=101'), 400, 'validation_failed');

  const tags = await call('GET', '/main/v1/tags');
  assert.equal(tags.status, 200);
  const walk = (tags.body.items as Body[]).find((t) => t.slug === 'walk');
  assert.equal(walk?.post_count, 4);

  assertProblem(
    await call('POST', '/main/v1/categories', alice.accessToken, { name: 'Nope' }),
    403,
  );
  const category = await call('POST', '/main/v1/categories', adminToken, { name: 'Contracts' });
  assert.equal(category.status, 201, category.text);
  const categoryId = (category.body.category as Body).id;
  assert.equal((await call('GET', '/main/v1/categories')).status, 200);
  const renamed = await call('PUT', `/main/v1/categories/${categoryId}`, adminToken, {
    name: 'Contract law',
  });
  assert.equal(renamed.status, 200);

  // Filters by category (its slug or its id) and by publication time.
  const filed = await call('POST', '/main/v1/posts', alice.accessToken, {
    title: 'Filed under contracts',
    body: 'categorised',
    status: 'published',
    category: (category.body.category as Body).slug,
  });
  assert.equal(filed.status, 201, filed.text);
  const filedPost = filed.body.post as Body;
  assert.deepEqual(Object.keys(filedPost.category as Body).sort(), ['id', 'name', 'slug']);
  for (const value of [(category.body.category as Body).slug, categoryId]) {
    const inCategory = await call('GET', `/main/v1/posts?category=${value}`);
    assert.deepEqual(
      (inCategory.body.items as Body[]).map((x) => x.id),
      [filedPost.id],
      `category=${value}`,
    );
  }
  const at = String(filedPost.published_at);
  const before = new Date(Date.parse(at) - 1).toISOString();
  const after = await call('GET', `/main/v1/posts?author=${alice.id}&published_after=${before}`);
  assert.deepEqual(
    (after.body.items as Body[]).map((x) => x.id),
    [filedPost.id],
  );
  const older = await call('GET', `/main/v1/posts?author=${alice.id}&published_before=${before}`);
  assert.ok(!(older.body.items as Body[]).some((x) => x.id === filedPost.id));

  assertProblem(await call('DELETE', `/main/v1/posts/${p.id}`, bob.accessToken), 403);
  // An editor edits any post, sees every draft and manages categories; an admin deletes any post.
  const promoted = await call('PUT', `/accounts/v1/users/${bob.id}/roles`, adminToken, {
    roles: ['user', 'editor'],
  });
  assert.equal(promoted.status, 200);
  const editor = (await signIn(bob.email, bob.password)).access_token;
  const edited = await call('PATCH', `/main/v1/posts/${p.id}`, editor, { title: 'Edited' });
  assert.equal(edited.status, 200, edited.text);
  assert.equal((edited.body.post as Body).author_id, alice.id);
  assert.equal((await call('GET', `/main/v1/posts/${draftId}`, editor)).status, 200);
  const editorDrafts = await call('GET', `/main/v1/posts?status=draft&author=${alice.id}`, editor);
  assert.deepEqual(
    (editorDrafts.body.items as Body[]).map((x) => x.id),
    [draftId],
  );
  const ownDrafts = await call(
    'GET',
    `/main/v1/posts?status=draft&author=${alice.id}`,
    alice.accessToken,
  );
  assert.deepEqual(
    (ownDrafts.body.items as Body[]).map((x) => x.id),
    [draftId],
  );
  const editorCategory = await call('POST', '/main/v1/categories', editor, {
    name: 'Edited by editors',
  });
  assert.equal(editorCategory.status, 201);
  assert.equal(
    (
      await call(
        'DELETE',
        `/main/v1/categories/${(editorCategory.body.category as Body).id}`,
        editor,
      )
    ).status,
    204,
  );

  assertProblem(await call('DELETE', `/main/v1/posts/${p.id}`, adminToken.slice(0, -2)), 401);
  assert.equal((await call('DELETE', `/main/v1/posts/${p.id}`, adminToken)).status, 204);
  assertProblem(await call('GET', `/main/v1/posts/${p.id}`), 404, 'not_found');
});

test('analytics: events in, activity, reports, write keys and the Segment API', async () => {
  const user = await signUp(url);
  const anonymous = await call('POST', '/analytics/v1/track-event', undefined, {
    event: 'page_viewed',
    anonymous_id: 'anon-contract',
  });
  assert.equal(anonymous.status, 202, anonymous.text);
  const bare = await call('POST', '/analytics/v1/track-event', undefined, { event: 'page_viewed' });
  assert.equal(bare.status, 202, bare.text);
  const full = await call('POST', '/analytics/v1/track-event', undefined, {
    events: Array.from({ length: 500 }, (_, i) => ({ event: 'bulk_viewed', properties: { i } })),
  });
  assert.equal(full.status, 202, full.text);
  const batch = await call('POST', '/analytics/v1/track-event', user.accessToken, {
    events: [
      {
        event: 'contract_step_one',
        properties: { n: 1 },
        timestamp: new Date(Date.now() - 60_000).toISOString(),
      },
      { event: 'contract_step_two' },
    ],
  });
  assert.equal(batch.status, 202);
  assertProblem(
    await call('POST', '/analytics/v1/track-event', user.accessToken, { event: 'user.registered' }),
    400,
  );
  assertProblem(
    await call('POST', '/analytics/v1/track-event', undefined, {
      events: Array.from({ length: 501 }, () => ({ event: 'too_many' })),
    }),
    400,
  );

  let items: Body[] = [];
  await eventually(async () => {
    const res = await call('GET', '/analytics/v1/user-activity', user.accessToken);
    items = (res.body.items ?? []) as Body[];
    return (
      res.status === 200 && items.filter((e) => /^contract_step/.test(String(e.event))).length === 2
    );
  }, 20_000);
  assertProblem(
    await call(
      'GET',
      `/analytics/v1/user-activity?user_id=${crypto.randomUUID()}`,
      user.accessToken,
    ),
    403,
  );
  const ownById = await call(
    'GET',
    `/analytics/v1/user-activity?user_id=${user.id}`,
    user.accessToken,
  );
  assert.equal(ownById.status, 200, ownById.text);

  // Sign-ups, logins and post changes become events.
  await eventually(async () => {
    const top = await call('GET', '/analytics/v1/reports?type=top-events&limit=100', adminToken);
    const names = (top.body.rows as Body[]).map((r) => String(r.event));
    return ['user.registered', 'user.logged_in', 'post.created', 'post.updated'].every((n) =>
      names.includes(n),
    );
  }, 20_000);
  const forAdmin = await call('GET', `/analytics/v1/user-activity?user_id=${user.id}`, adminToken);
  assert.equal(forAdmin.status, 200);

  assertProblem(await call('GET', '/analytics/v1/performance', user.accessToken), 403);
  // Every request through the gateway becomes a performance sample.
  let series: Body[] = [];
  await eventually(async () => {
    const perf = await call('GET', '/analytics/v1/performance?service=main', adminToken);
    assert.equal(perf.status, 200, perf.text);
    series = perf.body.series as Body[];
    return series.some((s) => String(s.route).includes('/posts'));
  }, 20_000);
  for (const s of series) {
    assert.equal(s.service, 'main');
    for (const point of s.points as Body[]) {
      assert.deepEqual(Object.keys(point).sort(), [
        'errors',
        'p50',
        'p95',
        'p99',
        'requests',
        'time',
      ]);
      assert.match(String(point.time), ISO_UTC);
    }
  }
  for (const type of ['daily-active-users', 'top-events', 'top-routes', 'signups']) {
    const json = await call('GET', `/analytics/v1/reports?type=${type}`, adminToken);
    assert.equal(json.status, 200, `${type}: ${json.text}`);
    const csv = await fetch(`${url}/analytics/v1/reports?type=${type}&format=csv`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
  }
  assertProblem(await call('GET', '/analytics/v1/reports?type=signups', user.accessToken), 403);
  const funnel = await call(
    'GET',
    '/analytics/v1/reports?type=funnel&steps=contract_step_one,contract_step_two',
    adminToken,
  );
  assert.equal(funnel.status, 200, funnel.text);
  const steps = funnel.body.steps as Body[];
  assert.deepEqual(
    steps.map((s) => Object.keys(s).sort()),
    [
      ['conversion', 'event', 'users'],
      ['conversion', 'event', 'users'],
    ],
  );
  const retention = await call(
    'GET',
    '/analytics/v1/reports?type=retention&start_event=contract_step_one&return_event=contract_step_two&period=week',
    adminToken,
  );
  assert.equal(retention.status, 200, retention.text);
  assert.ok(Array.isArray(retention.body.cohorts));
  for (const cohort of retention.body.cohorts as Body[]) {
    assert.deepEqual(Object.keys(cohort).sort(), ['returned', 'start', 'users']);
  }
  for (const query of [
    'type=funnel&steps=contract_step_one,contract_step_two&window=P1D',
    'type=retention&start_event=contract_step_one&return_event=contract_step_two&period=day',
  ]) {
    const csv = await fetch(`${url}/analytics/v1/reports?${query}&format=csv`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    assert.equal(csv.status, 200, query);
    assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
  }

  const onlyOne = await call(
    'GET',
    '/analytics/v1/user-activity?event=contract_step_one&limit=1',
    user.accessToken,
  );
  assert.deepEqual(
    (onlyOne.body.items as Body[]).map((e) => e.event),
    ['contract_step_one'],
  );
  const firstPage = await call('GET', '/analytics/v1/user-activity?limit=1', user.accessToken);
  assert.equal((firstPage.body.items as Body[]).length, 1);
  const cursor = firstPage.body.next_cursor as string;
  assert.ok(cursor);
  const second = await call(
    'GET',
    `/analytics/v1/user-activity?limit=1&cursor=${encodeURIComponent(cursor)}`,
    user.accessToken,
  );
  assert.equal((second.body.items as Body[]).length, 1);
  const [newer, older] = [(firstPage.body.items as Body[])[0]!, (second.body.items as Body[])[0]!];
  assert.notEqual(newer.id, older.id);
  assert.ok(String(newer.timestamp) >= String(older.timestamp), 'newest first');

  assertProblem(
    await call('POST', '/analytics/v1/write-keys', user.accessToken, { name: 'x' }),
    403,
  );
  const key = await call('POST', '/analytics/v1/write-keys', adminToken, { name: 'contract' });
  assert.equal(key.status, 201, key.text);
  for (const field of ['id', 'name', 'key']) assert.ok(key.body[field], field);
  const listed = await call('GET', '/analytics/v1/write-keys', adminToken);
  assert.ok(!JSON.stringify(listed.body).includes(String(key.body.key)), 'the key is shown once');
  const basic = `Basic ${Buffer.from(`${key.body.key}:`).toString('base64')}`;
  const segment = (path: string, body: unknown, authorization = basic) =>
    fetch(`${url}/analytics/v1${path}`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  // Sent before the alias links the anonymous id to the user.
  const aliased = await call('POST', '/analytics/v1/track-event', undefined, {
    event: 'contract_before_alias',
    anonymous_id: 'anon-other',
  });
  assert.equal(aliased.status, 202);
  const tracked = await segment('/track', {
    userId: user.id,
    event: 'contract_segment',
    messageId: 'contract-m-1',
  });
  assert.equal(tracked.status, 200);
  assert.deepEqual(await tracked.json(), { success: true });
  for (const [path, body] of [
    ['/identify', { userId: user.id, anonymousId: 'anon-contract', traits: { plan: 'pro' } }],
    ['/page', { userId: user.id, name: 'Home' }],
    ['/screen', { userId: user.id, name: 'Home' }],
    ['/group', { userId: user.id, groupId: 'g1' }],
    ['/alias', { userId: user.id, previousId: 'anon-other' }],
    ['/batch', { batch: [{ type: 'track', userId: user.id, event: 'contract_batch' }] }],
  ] as const) {
    const res = await segment(path, body);
    assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
    assert.deepEqual(await res.json(), { success: true });
  }
  // A client that gzips its batches (RudderStack's Node SDK does by default) works unchanged.
  const gzipped = await fetch(`${url}/analytics/v1/batch`, {
    method: 'POST',
    headers: {
      authorization: basic,
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    },
    body: gzipSync(
      JSON.stringify({ batch: [{ type: 'track', userId: user.id, event: 'contract_gzipped' }] }),
    ),
  });
  assert.equal(gzipped.status, 200, await gzipped.clone().text());
  assert.deepEqual(await gzipped.json(), { success: true });
  // One too large once decoded, followed by bytes that are no gzip: a 413, and analytics lives on
  // (its decoder's error after the 413 was uncaught: the process shut down, the next call a 502).
  const bomb = await fetch(`${url}/analytics/v1/batch`, {
    method: 'POST',
    headers: {
      authorization: basic,
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    },
    body: Buffer.concat([gzipSync(Buffer.alloc(4 << 20, ' ')), Buffer.from('no gzip follows')]),
  });
  assert.equal(bomb.status, 413, await bomb.clone().text());
  assert.equal(((await bomb.json()) as { code: string }).code, 'payload_too_large');
  const alive = await segment('/track', { userId: user.id, event: 'contract_after_bomb' });
  assert.equal(alive.status, 200, await alive.clone().text());
  // A messageId seen again is stored and counted once.
  const again = await segment('/track', {
    userId: user.id,
    event: 'contract_segment',
    messageId: 'contract-m-1',
  });
  assert.equal(again.status, 200);
  assert.equal((await segment('/track', { userId: 'u', event: 'e' }, 'Basic eDo=')).status, 401);
  for (const event of ['user.registered', 'post.created']) {
    const reserved = await segment('/track', { userId: user.id, event });
    assert.equal(reserved.status, 400, event);
  }

  await eventually(async () => {
    const res = await call('GET', `/analytics/v1/profiles/${user.id}`, adminToken);
    return res.status === 200 && (res.body.anonymous_ids as string[]).includes('anon-contract');
  }, 20_000);
  const profile = await call('GET', `/analytics/v1/profiles/${user.id}`, adminToken);
  assert.deepEqual(Object.keys(profile.body).sort(), [
    'anonymous_ids',
    'first_seen',
    'last_seen',
    'traits',
    'user_id',
  ]);
  assert.equal((profile.body.traits as Body).plan, 'pro');
  // What was sent under the linked anonymous id shows in the user's activity.
  await eventually(async () => {
    const res = await call('GET', '/analytics/v1/user-activity', user.accessToken);
    const events = (res.body.items as Body[]).map((e) => e.event);
    return ['page_viewed', 'contract_before_alias', 'contract_batch', 'contract_gzipped'].every(
      (n) => events.includes(n),
    );
  }, 20_000);
  const top = await call('GET', '/analytics/v1/reports?type=top-events&limit=100', adminToken);
  const segmentRow = (top.body.rows as Body[]).find((r) => r.event === 'contract_segment');
  assert.equal(segmentRow?.count, 1, 'a messageId sent twice counts once');
  assert.equal(
    (await call('DELETE', `/analytics/v1/write-keys/${key.body.id}`, adminToken)).status,
    204,
  );
  await eventually(
    async () => (await segment('/track', { userId: 'u', event: 'e' })).status === 401,
  );

  const dashboard = await fetch(`${url}/analytics/v1/dashboard`);
  assert.equal(dashboard.status, 200);
  assert.match(dashboard.headers.get('content-type') ?? '', /text\/html/);
});

test('a client that always sends content-type: application/json: bodiless calls still work', async () => {
  const user = await signUp(url);
  const as = (method: string, path: string, token: string) =>
    fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
  const created = await call('POST', '/main/v1/posts', user.accessToken, {
    title: 'Gone',
    body: 'b',
  });
  const id = (created.body.post as Body).id;
  const deleted = await as('DELETE', `/main/v1/posts/${id}`, user.accessToken);
  assert.equal(deleted.status, 204, await deleted.text());
  const options = await as(
    'POST',
    '/accounts/v1/user/passkeys/registration-options',
    user.accessToken,
  );
  assert.equal(options.status, 200, await options.text());
  const out = await as('POST', '/accounts/v1/logout', user.accessToken);
  assert.equal(out.status, 204, await out.text());
});
