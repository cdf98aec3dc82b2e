import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { createVerifier, TokenError } from '@platform/auth';
import { generateKeyPair, type JWTVerifyGetKey, SignJWT } from 'jose';

// A revocation check that answers asynchronously (the type allows it): a token seen before must
// be checked once per use, its answer awaited, and a failing check must fail only that use.
let key: Awaited<ReturnType<typeof generateKeyPair>>;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

before(async () => {
  key = await generateKeyPair('EdDSA');
  process.on('unhandledRejection', onUnhandled);
});
after(() => process.off('unhandledRejection', onUnhandled));

async function token(sid: string) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sid, jti: crypto.randomUUID() })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt' })
    .setSubject('user-1')
    .setIssuer('https://issuer.test')
    .setAudience('api')
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .sign(key.privateKey);
}

function verifier(isRevoked: (sid: string) => Promise<boolean>) {
  const keys: JWTVerifyGetKey = async () => key.publicKey;
  return createVerifier({
    keys,
    issuer: 'https://issuer.test',
    audience: 'api',
    maxLifetime: 900,
    isRevoked,
  });
}

test('an async check that fails leaves no unhandled rejection and runs once per use', async () => {
  let calls = 0;
  let down = false;
  const verify = verifier(async () => {
    calls += 1;
    if (down) throw new Error('revocation store unavailable');
    return false;
  });
  const jwt = await token('s-1');
  await verify(jwt); // cached now
  calls = 0;
  down = true;
  await assert.rejects(verify(jwt), /revocation store unavailable/);
  await tick();
  await tick();
  assert.deepEqual(unhandled, [], 'the fast path dropped a rejected promise');
  assert.equal(calls, 1, 'the revocation check ran more than once for one use');
});

test('an async check saying revoked refuses a cached token', async () => {
  let revoked = false;
  const verify = verifier(async () => revoked);
  const jwt = await token('s-2');
  assert.equal((await verify(jwt)).sessionId, 's-2');
  revoked = true;
  await assert.rejects(verify(jwt), TokenError);
});
