// The admin's session: signs in through the accounts API and keeps the tokens in memory only
// (a reload asks again); renews them before they expire.

const API = document.body.dataset.api;
const ACCOUNTS = document.body.dataset.accounts;
const PERMISSION = 'analytics:read';

export const session = { access: null, refresh: null, user: null, renewTimer: null };
let ended = () => {};

/** What the page does when a background renewal fails (it shows the sign-in form again). */
export function whenEnded(callback) {
  ended = callback;
}

export async function signIn(login, password) {
  const body = login.includes('@') ? { email: login, password } : { username: login, password };
  const res = await fetch(`${ACCOUNTS}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.detail || `Sign-in failed (${res.status}).`);
  if (!data.user?.permissions?.includes(PERMISSION)) {
    await revoke(data.access_token, data.refresh_token);
    throw new Error('This account may not read analytics.');
  }
  keep(data);
}

function keep(tokens) {
  session.access = tokens.access_token;
  session.refresh = tokens.refresh_token;
  if (tokens.user) session.user = tokens.user;
  clearTimeout(session.renewTimer);
  // Renew a little before expiry (a minute, or a quarter of a short lifetime), so a chart refresh
  // never meets an expired token.
  const ttl = tokens.expires_in || 60;
  const renewIn = Math.max(1, ttl - Math.min(60, ttl / 4)) * 1000;
  session.renewTimer = setTimeout(() => renew().catch(ended), renewIn);
}

let renewing = null;
function renew() {
  renewing ??= (async () => {
    const res = await fetch(`${ACCOUNTS}/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: session.refresh }),
    });
    if (!res.ok) throw new Error('Your session has ended; sign in again.');
    keep(await res.json());
  })().finally(() => {
    renewing = null;
  });
  return renewing;
}

async function revoke(access, refresh) {
  await fetch(`${ACCOUNTS}/logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${access}` },
    body: JSON.stringify({ refresh_token: refresh }),
  }).catch(() => {});
}

/** Drops the tokens held by the page (the server-side session stays until signOut revokes it). */
export function forget() {
  clearTimeout(session.renewTimer);
  session.access = session.refresh = session.user = null;
}

export async function signOut() {
  const { access, refresh } = session;
  forget();
  if (access) await revoke(access, refresh);
}

/**
 * GET from the analytics API; one renewal and retry when the access token was refused. A failure
 * is an Error with the answer's `status` (0: no answer) and its Retry-After in seconds.
 */
export async function api(path, params, signal) {
  const url = `${API}${path}?${new URLSearchParams(params)}`;
  const call = async () => {
    try {
      return await fetch(url, { headers: { authorization: `Bearer ${session.access}` }, signal });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw Object.assign(new Error(`${path}: the service could not be reached`), { status: 0 });
    }
  };
  let res = await call();
  if (res.status === 401) {
    await renew();
    res = await call();
  }
  if (!res.ok) {
    const problem = await res.json().catch(() => ({}));
    throw Object.assign(new Error(problem.detail || `${path}: ${res.status}`), {
      status: res.status,
      retryAfter: retryAfterSeconds(res.headers.get('retry-after')),
    });
  }
  return res.json().catch((error) => {
    if (signal?.aborted) throw error;
    throw Object.assign(new Error(`${path}: the answer was cut off`), { status: 0 });
  });
}

/** Seconds to wait, from either form of Retry-After (RFC 9110 §10.2.3); undefined without one. */
function retryAfterSeconds(value) {
  if (!value) return undefined;
  const seconds = /^\d+$/.test(value) ? Number(value) : (Date.parse(value) - Date.now()) / 1000;
  return Number.isFinite(seconds) ? Math.max(0, seconds) : undefined;
}
