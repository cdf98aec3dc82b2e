import type { App } from '@platform/http';

// A small page to try passkeys in a browser (and for the browser test): sign in with a password,
// add a passkey, sign in with it. It talks to the API on its own origin, like any app would.

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Passkeys</title>
<script src="passkeys.js" defer></script>
</head>
<body>
<main>
<h1>Passkeys</h1>
<form id="password-form">
  <h2>Sign in with your password</h2>
  <label>Email <input id="email" type="email" autocomplete="username webauthn" required></label>
  <label>Password <input id="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Sign in</button>
</form>
<section>
  <h2>Add a passkey to this account</h2>
  <label>Name <input id="passkey-name" value="This device" maxlength="100"></label>
  <button id="add-passkey" type="button">Add a passkey</button>
</section>
<section>
  <h2>Sign in with a passkey</h2>
  <button id="use-passkey" type="button">Sign in with a passkey</button>
</section>
<p><output id="status" aria-live="polite" data-state="ready">Ready.</output></p>
</main>
</body>
</html>
`;

const SCRIPT = `'use strict';
const api = location.pathname.replace(/\\/pages\\/passkeys$/, '');
const status = document.getElementById('status');
let accessToken;

function show(state, text, user) {
  status.dataset.state = state;
  status.dataset.userId = user ? user.id : '';
  status.textContent = text;
}

async function call(path, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = 'Bearer ' + token;
  const res = await fetch(api + path, { method: 'POST', headers, body: JSON.stringify(body ?? {}) });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.detail || res.statusText);
  return data;
}

function run(action) {
  return (event) => {
    event.preventDefault();
    action().catch((error) => show('error', 'Failed: ' + error.message));
  };
}

document.getElementById('password-form').addEventListener('submit', run(async () => {
  const email = document.getElementById('email').value;
  const password = document.getElementById('password').value;
  const tokens = await call('/login', { email, password });
  accessToken = tokens.access_token;
  show('signed-in', 'Signed in as ' + tokens.user.email + ' with a password.', tokens.user);
}));

document.getElementById('add-passkey').addEventListener('click', run(async () => {
  if (!accessToken) throw new Error('sign in first');
  const options = await call('/user/passkeys/registration-options', {}, accessToken);
  const credential = await navigator.credentials.create({
    publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
  });
  const name = document.getElementById('passkey-name').value || undefined;
  const { passkey } = await call('/user/passkeys', { response: credential.toJSON(), name }, accessToken);
  show('registered', 'Passkey "' + passkey.name + '" added.');
}));

document.getElementById('use-passkey').addEventListener('click', run(async () => {
  const { challenge_id, ...options } = await call('/login/passkey/options', {});
  const credential = await navigator.credentials.get({
    publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
  });
  const tokens = await call('/login/passkey', { challenge_id, response: credential.toJSON() });
  accessToken = tokens.access_token;
  show('passkey-signed-in', 'Signed in as ' + tokens.user.email + ' with a passkey.', tokens.user);
}));
`;

const CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; form-action 'none'; " +
  "frame-ancestors 'none'; base-uri 'none'";

export function passkeyPage(app: App) {
  app.get('/pages/passkeys', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .headers({ 'content-security-policy': CSP, 'cache-control': 'no-cache' })
      .type('text/html; charset=utf-8')
      .send(HTML),
  );
  app.get('/pages/passkeys.js', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .headers({ 'cache-control': 'no-cache' })
      .type('text/javascript; charset=utf-8')
      .send(SCRIPT),
  );
}
