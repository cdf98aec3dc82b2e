import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { App } from '@platform/http';
import { startGateway } from './helpers.ts';
import { eventually, post, type RunningService, signUp, startAuthService } from './services.ts';

/**
 * A client gets a new token because its old one expired or was revoked, and a client that sends
 * its token on every call (this project's own typed client, axios defaults) still attaches the old
 * one to /refresh or /login. The routes that hand out tokens ignore it, at the edge and in auth:
 * a 401 there left no way back in short of dropping the token first. Every other route still
 * refuses a bad token with 401 (edge-auth.test.ts).
 */
describe('the routes that hand out tokens ignore an old one attached', () => {
  let auth: RunningService & { databaseUrl: string };
  let app: App;
  let url: string;
  const cleanup: (() => Promise<void>)[] = [];

  before(async () => {
    // 1 s tokens: an expired one is at hand after the verifiers' 5 s of clock tolerance.
    auth = await startAuthService({ ACCESS_TOKEN_TTL: '1' });
    cleanup.push(auth.stop);
    ({ app, url } = await startGateway({ AUTH_URLS: auth.url }, { auth: 'real' }));
    cleanup.push(() => app.close());
    await eventually(async () => (await fetch(`${url}/health/ready`)).status === 200);
  });

  after(async () => {
    for (const close of cleanup.reverse()) await close();
  });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  async function signIn(user: { email: string; password: string }, headers = {}) {
    const credentials = { email: user.email, password: user.password };
    const response = await post(`${url}/accounts/v1/login`, credentials, headers);
    return {
      status: response.status,
      body: (await response.json()) as { access_token: string; refresh_token: string },
    };
  }

  // Signed in before the tokens expire, once for the tests that need an expired one.
  let expired: {
    user: { email: string; password: string };
    pair: { access_token: string; refresh_token: string };
    leaving: { access_token: string; refresh_token: string }[];
  };
  before(async () => {
    const user = await signUp(url);
    const { body: pair } = await signIn(user);
    const leaving = [];
    for (let i = 0; i < 3; i++) leaving.push((await signIn(user)).body);
    expired = { user, pair, leaving };
    // Until the last of them is past exp + 5 s, the verifiers' tolerance (jose compares whole
    // seconds): 5–6 s after it was issued, where a fixed 7 s sleep waited 1–2 s beyond.
    const exp = (token: string) =>
      (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number })
        .exp;
    const last = Math.max(...[pair, ...leaving].map((p) => exp(p.access_token)));
    await sleep(Math.max(0, (last + 5) * 1000 + 200 - Date.now()));
  });

  test('an expired token attached to /refresh and /login', async () => {
    const { user, pair } = expired;
    const me = await fetch(`${url}/accounts/v1/user`, { headers: bearer(pair.access_token) });
    assert.equal(me.status, 401, 'the token has expired');
    await me.body?.cancel();

    const refreshed = await post(
      `${url}/accounts/v1/refresh`,
      { refresh_token: pair.refresh_token },
      bearer(pair.access_token),
    );
    assert.equal(refreshed.status, 200, await refreshed.clone().text());
    const fresh = (await refreshed.json()) as { access_token: string };
    const again = await fetch(`${url}/accounts/v1/user`, { headers: bearer(fresh.access_token) });
    assert.equal(again.status, 200);
    await again.body?.cancel();

    const signedIn = await signIn(user, bearer(pair.access_token));
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
  });

  test('a client idle past its access token signs out with the refresh token, expired token attached or not', async () => {
    const [attached, bare, kept] = expired.leaving as [
      { access_token: string; refresh_token: string },
      { access_token: string; refresh_token: string },
      { access_token: string; refresh_token: string },
    ];
    const out = await post(
      `${url}/accounts/v1/logout`,
      { refresh_token: attached.refresh_token },
      bearer(attached.access_token),
    );
    assert.equal(out.status, 204, await out.clone().text());
    const outBare = await post(`${url}/accounts/v1/logout`, { refresh_token: bare.refresh_token });
    assert.equal(outBare.status, 204, await outBare.clone().text());
    // Those sessions are over: their refresh tokens get nothing more.
    for (const pair of [attached, bare]) {
      const refreshed = await post(`${url}/accounts/v1/refresh`, {
        refresh_token: pair.refresh_token,
      });
      assert.equal(refreshed.status, 401, 'the session was signed out');
      await refreshed.body?.cancel();
    }
    // Without a good token, only a live refresh token signs anything out.
    for (const body of [
      {},
      { refresh_token: 'x'.repeat(43) },
      { refresh_token: bare.refresh_token },
    ]) {
      const refused = await post(`${url}/accounts/v1/logout`, body, bearer(kept.access_token));
      assert.equal(refused.status, 401, JSON.stringify(body));
      await refused.body?.cancel();
    }
    const anonymous = await post(`${url}/accounts/v1/logout`, {});
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();
    // The other session of the same user is untouched.
    const refreshed = await post(`${url}/accounts/v1/refresh`, {
      refresh_token: kept.refresh_token,
    });
    assert.equal(refreshed.status, 200, await refreshed.clone().text());
    await refreshed.body?.cancel();
  });

  test('a token revoked by logout attached to /login, /login/passkey/options and /register', async () => {
    const user = await signUp(url);
    const logout = await post(`${url}/accounts/v1/logout`, {}, bearer(user.accessToken));
    assert.equal(logout.status, 204);
    await eventually(
      async () =>
        (await fetch(`${url}/accounts/v1/user`, { headers: bearer(user.accessToken) })).status ===
        401,
    );

    const signedIn = await signIn(user, bearer(user.accessToken));
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    const options = await post(
      `${url}/accounts/v1/login/passkey/options`,
      {},
      bearer(user.accessToken),
    );
    assert.equal(options.status, 200);
    await options.body?.cancel();
    const other = `${user.username}b`;
    const registered = await post(
      `${url}/accounts/v1/register`,
      { email: `${other}@example.com`, username: other, password: user.password },
      bearer(user.accessToken),
    );
    assert.equal(registered.status, 201);
    await registered.body?.cancel();
  });

  test('elsewhere a bad token is still refused, public routes included', async () => {
    const user = await signUp(url);
    const tampered = `${user.accessToken.slice(0, -4)}AAAA`;
    const me = await fetch(`${url}/accounts/v1/user`, { headers: bearer(tampered) });
    assert.equal(me.status, 401);
    await me.body?.cancel();
    const jwks = await fetch(`${url}/accounts/v1/.well-known/jwks.json`, {
      headers: bearer(tampered),
    });
    assert.equal(jwks.status, 401);
    await jwks.body?.cancel();
    const logout = await post(`${url}/accounts/v1/logout`, {}, bearer(tampered));
    assert.equal(logout.status, 401);
    await logout.body?.cancel();
  });
});
