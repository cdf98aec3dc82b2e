import assert from 'node:assert/strict';
import { after, before, describe, mock, test } from 'node:test';
import type { App } from '@platform/http';
import { echo, json, type Problem, type Seen, startGateway, startUpstream } from './helpers.ts';
import { eventually, post, type RunningService, signUp, startAuthService } from './services.ts';

/** The real auth service behind a gateway that checks tokens with the shared verifier. */
describe('tokens are checked at the edge', () => {
  let auth: RunningService & { databaseUrl: string };
  let shortLived: RunningService;
  let app: App;
  let url: string;
  const seen: Seen[] = [];
  const cleanup: (() => Promise<void>)[] = [];

  before(async () => {
    auth = await startAuthService();
    cleanup.push(auth.stop);
    // A second instance on the same database signs with the same keys, with 1 s tokens.
    shortLived = await startAuthService({ ACCESS_TOKEN_TTL: '1' }, auth);
    cleanup.push(shortLived.stop);
    const main = await startUpstream((req, res) => {
      if (req.url !== '/health/ready') {
        seen.push({ service: 'main', method: req.method!, url: req.url!, headers: {} });
      }
      echo('main')(req, res);
    });
    cleanup.push(main.close);
    ({ app, url } = await startGateway(
      { AUTH_URLS: auth.url, MAIN_URLS: main.url, HEALTH_INTERVAL_MS: 500 },
      { auth: 'real' },
    ));
    cleanup.push(() => app.close());
    // Ready means the revocation list has synced once.
    await eventually(async () => (await fetch(`${url}/health/ready`)).status === 200);
  });

  after(async () => {
    for (const close of cleanup.reverse()) await close();
  });

  const get = (path: string, token?: string) =>
    fetch(`${url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  async function refused(response: Response) {
    assert.equal(response.status, 401);
    assert.match(response.headers.get('content-type') ?? '', /problem\+json/);
    assert.equal((await json<Problem>(response)).status, 401);
  }

  test('a valid token passes, and the service gets it to check again', async () => {
    const user = await signUp(url);
    const response = await get('/main/v1/posts', user.accessToken);
    assert.equal(response.status, 200);
    assert.equal((await json(response)).headers.authorization, `Bearer ${user.accessToken}`);
    const me = await get('/accounts/v1/user', user.accessToken);
    assert.equal(me.status, 200);
    assert.equal((await json<{ user: { id: string } }>(me)).user.id, user.id);
  });

  test('no token passes: the service decides', async () => {
    assert.equal((await get('/main/v1/posts')).status, 200);
  });

  test('a bad token is 401 before any service sees it', async () => {
    const user = await signUp(url);
    const before = seen.length;
    const tampered = `${user.accessToken.slice(0, -4)}AAAA`;
    for (const token of ['not-a-jwt', tampered]) await refused(await get('/main/v1/posts', token));
    await refused(
      await fetch(`${url}/main/v1/posts`, { headers: { authorization: 'Basic dXNlcjpwdw==' } }),
    );
    assert.equal(seen.length, before);
  });

  test('an expired token is 401 before any service sees it', async () => {
    const user = await signUp(url);
    const login = await post(`${shortLived.url}/accounts/v1/login`, {
      email: user.email,
      password: user.password,
    });
    const { access_token: token } = (await login.json()) as { access_token: string };
    assert.equal((await get('/main/v1/posts', token)).status, 200);
    // The gateway runs in this process: its clock seven seconds on (one second of life plus the
    // verifier's five seconds of clock tolerance) instead of waiting them out.
    mock.timers.enable({ apis: ['Date'], now: Date.now() + 7000 });
    try {
      const before = seen.length;
      await refused(await get('/main/v1/posts', token));
      assert.equal(seen.length, before);
    } finally {
      mock.timers.reset();
    }
  });

  test('a token is refused at the edge within a second or so of its logout', async () => {
    const user = await signUp(url);
    assert.equal((await get('/main/v1/posts', user.accessToken)).status, 200);
    const logout = await post(
      `${url}/accounts/v1/logout`,
      {},
      {
        authorization: `Bearer ${user.accessToken}`,
      },
    );
    assert.equal(logout.status, 204);
    await eventually(async () => (await get('/main/v1/posts', user.accessToken)).status === 401);
    const before = seen.length;
    await refused(await get('/main/v1/posts', user.accessToken));
    assert.equal(seen.length, before);
  });

  test('a signed-in user is limited per user, an anonymous client per address', async () => {
    const limited = await startGateway(
      { AUTH_URLS: auth.url, RATE_LIMIT_PER_USER: 3, RATE_LIMIT_PER_ADDRESS: 100 },
      { auth: 'real' },
    );
    cleanup.push(() => limited.app.close());
    const [alice, bob] = [await signUp(url), await signUp(url)];
    const me = (token?: string) =>
      fetch(
        `${limited.url}/accounts/v1/user`,
        token ? { headers: { authorization: `Bearer ${token}` } } : {},
      );
    await eventually(async () => (await me(alice.accessToken)).status === 200);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await me(alice.accessToken)).status);
    assert.ok(statuses.includes(429), statuses.join());
    // Bob shares Alice's address but not her count; the anonymous count is separate too.
    const bobs = await me(bob.accessToken);
    assert.equal(bobs.status, 200);
    assert.equal(bobs.headers.get('ratelimit-limit'), '3');
    const anonymous = await me();
    assert.equal(anonymous.headers.get('ratelimit-limit'), '100');
  });
});
