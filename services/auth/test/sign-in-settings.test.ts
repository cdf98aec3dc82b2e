import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '@platform/config';
import { readConfig } from '../src/config.ts';
import { parseProviders } from '../src/oidc/settings.ts';
import { deriveUsername } from '../src/oidc/usernames.ts';
import { relyingParty } from '../src/passkeys/settings.ts';
import { TEST_SECRETS } from './helper.ts';

const base = { DATABASE_URL: 'postgres://u@127.0.0.1/db', ...TEST_SECRETS };
const provider = {
  id: 'google',
  name: 'Google',
  issuer: 'https://accounts.google.com',
  client_id: 'id',
  client_secret: 'secret',
};

test('OIDC_PROVIDERS: a well-formed list is read, openid always among the scopes', () => {
  const [google, corp] = parseProviders(
    JSON.stringify([
      provider,
      { ...provider, id: 'corp', issuer: 'http://127.0.0.1:9999/realms/x', scopes: ['email'] },
    ]),
  );
  assert.deepEqual(google?.scopes, ['openid', 'email', 'profile']);
  assert.equal(google?.issuer.href, 'https://accounts.google.com/');
  assert.deepEqual(corp?.scopes, ['openid', 'email']);
  assert.deepEqual(parseProviders(undefined), []);
  assert.deepEqual(parseProviders(''), []);
});

test('a malformed OIDC_PROVIDERS stops the service at start with a one-line reason', () => {
  for (const bad of [
    'not json',
    '{"id":"x"}',
    JSON.stringify([{ ...provider, client_secret: undefined }]),
    JSON.stringify([{ ...provider, issuer: 'http://idp.example.com' }]),
    JSON.stringify([{ ...provider, id: 'Has Spaces' }]),
    JSON.stringify([provider, provider]),
    JSON.stringify([{ ...provider, extra: 1 }]),
  ]) {
    assert.throws(
      () => readConfig({ ...base, OIDC_PROVIDERS: bad }),
      (error: Error) =>
        error instanceof ConfigError && /^OIDC_PROVIDERS is invalid: [^\n]+$/.test(error.message),
      bad,
    );
  }
  assert.throws(() => readConfig({ ...base, OAUTH_REDIRECT_URIS: 'not a url' }), ConfigError);
  assert.throws(
    () => readConfig({ ...base, OAUTH_REDIRECT_URIS: 'https://app.test/#x' }),
    ConfigError,
  );
  assert.throws(
    () => readConfig({ ...base, WEBAUTHN_ORIGINS: 'https://app.test/path' }),
    ConfigError,
  );
  assert.throws(() => readConfig({ ...base, WEBAUTHN_RP_ID: 'https://app.test' }), ConfigError);
});

test('passkeys default to localhost and the public URL on localhost and 127.0.0.1', () => {
  assert.deepEqual(relyingParty(undefined, undefined, 'http://127.0.0.1:8080'), {
    id: 'localhost',
    origins: ['http://localhost:8080', 'http://127.0.0.1:8080'],
  });
  assert.deepEqual(
    relyingParty('example.com', 'https://example.com, https://app.example.com', 'x:'),
    {
      id: 'example.com',
      origins: ['https://example.com', 'https://app.example.com'],
    },
  );
});

test('usernames from a provider follow the username rules and avoid taken ones', async () => {
  const free = async () => false;
  assert.equal(await deriveUsername({ preferredUsername: 'Zoë Smith!' }, free), 'Zoe_Smith');
  // An accent inside a name goes with its letter: not a separator in the middle of it.
  assert.equal(await deriveUsername({ preferredUsername: 'Renée' }, free), 'Renee');
  assert.equal(await deriveUsername({ name: 'José Núñez' }, free), 'Jose_Nunez');
  assert.equal(await deriveUsername({ email: 'jo@x.test', name: 'Jo Doe' }, free), 'Jo_Doe');
  assert.equal(await deriveUsername({ email: 'ada.l@x.test' }, free), 'ada.l');
  assert.equal(await deriveUsername({}, free), 'user');
  const long = await deriveUsername(
    { preferredUsername: 'a'.repeat(80) },
    async (c) => c === 'a'.repeat(32),
  );
  assert.match(long, /^a{1,27}_\d{4}$/);
  assert.ok(long.length <= 32);
});

test('MAIL_FROM must hold a sender address: a bare name stops the service at start', () => {
  // Any 3 characters passed: every mail then went out with no sender address.
  for (const bad of ['Support', 'Support <>', 'Support <no-reply>', 'a@b c@d', '<a@b']) {
    assert.throws(
      () => readConfig({ ...base, MAIL_FROM: bad }),
      new ConfigError(
        'MAIL_FROM is invalid: expected an email address, or a name and one in <> (Support <no-reply@example.com>)',
      ),
      bad,
    );
  }
  for (const good of [
    'no-reply@example.com',
    'Support <no-reply@example.com>',
    '"Team @ Example" <team@example.com>',
  ]) {
    assert.equal(readConfig({ ...base, MAIL_FROM: good }).MAIL_FROM, good);
  }
  assert.equal(readConfig(base).MAIL_FROM, 'Microservice Template <no-reply@localhost>');
});
