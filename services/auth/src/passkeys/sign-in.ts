import { randomBytes } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransportFuture,
} from '@simplewebauthn/server';
import type { FastifyBaseLogger } from 'fastify';
import { recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../context.ts';
import { problem } from '../errors.ts';
import type { ClientInfo } from '../sessions/service.ts';
import { signIn } from '../sessions/sign-in.ts';
import { findUserByEmail, lockUser } from '../users/repository.ts';
import {
  findPasskeyByCredentialId,
  insertChallenge,
  recordUse,
  takeChallengeById,
} from './repository.ts';
import { CHALLENGE_TTL_SECONDS, type PasskeyDeps, userHandle } from './service.ts';
import { simpleWebAuthn } from './webauthn.ts';

// Signing in with a passkey (`POST /login/passkey/options`, `POST /login/passkey`); adding,
// listing and removing one are in service.ts.

/** One answer for every failed passkey sign-in, as for passwords. */
const refused = () =>
  problem('invalid_credentials', 'The passkey could not be verified.', {
    headers: { 'www-authenticate': 'Bearer' },
  });

/**
 * Request options for `navigator.credentials.get`, with the `challenge_id` to send back. Every
 * passkey here is discoverable (`residentKey: 'required'`), so the options never list credential
 * ids: with an email, only that account's passkey can answer the challenge (none for an unknown
 * email), and the answer is the same for an account with passkeys, one without and no account.
 * Listing them (WebAuthn §14.6.3) told anyone with an email whether the account had passkeys, how
 * many, of which kind, and their ids.
 */
export async function loginOptions(ctx: AuthContext, deps: PasskeyDeps, input: { email?: string }) {
  const webauthn = await simpleWebAuthn();
  const user = input.email ? await findUserByEmail(ctx.db, input.email) : undefined;
  const options = await webauthn.generateAuthenticationOptions({
    rpID: deps.rp.id,
    timeout: CHALLENGE_TTL_SECONDS * 1000,
    userVerification: 'required',
  });
  // An unknown email gets a challenge no passkey can answer: the row keeps another random value
  // than the one sent. Were any passkey let in, one's own would tell an address nobody has (signed
  // in) from one somebody has (401); the row and the work stay the same for both.
  const unknown = Boolean(input.email) && !user;
  const challengeId = await insertChallenge(ctx.db, {
    challenge: unknown ? randomBytes(32).toString('base64url') : options.challenge,
    purpose: 'authentication',
    userId: user?.id ?? null,
    expiresAt: new Date(Date.now() + CHALLENGE_TTL_SECONDS * 1000),
  });
  return { ...options, challenge_id: challengeId };
}

/**
 * Signs in with a passkey: the challenge is spent first (a replayed assertion finds none), then
 * the signature, origin, RP id, user verification and signature counter are checked.
 */
export async function loginWithPasskey(
  ctx: AuthContext,
  deps: PasskeyDeps,
  input: { challengeId: string; response: AuthenticationResponseJSON },
  client: ClientInfo & { log: FastifyBaseLogger },
) {
  const webauthn = await simpleWebAuthn();
  const fail = async (reason: string, userId: string | null = null) => {
    await recordAudit(ctx.db, {
      type: 'login.failed',
      userId,
      actorId: null,
      client,
      details: { method: 'passkey', reason },
    });
    return refused();
  };
  const challenge = await takeChallengeById(ctx.db, input.challengeId, 'authentication');
  if (!challenge) throw await fail('unknown_challenge');
  const passkey = await findPasskeyByCredentialId(ctx.db, input.response.id);
  if (!passkey) throw await fail('unknown_passkey', challenge.userId);
  if (challenge.userId && challenge.userId !== passkey.userId) {
    throw await fail('wrong_account', challenge.userId);
  }
  const handle = input.response.response.userHandle;
  if (handle && !Buffer.from(handle, 'base64url').equals(userHandle(passkey.userId))) {
    throw await fail('wrong_user_handle', passkey.userId);
  }
  let newCounter: number;
  try {
    const verification = await webauthn.verifyAuthenticationResponse({
      response: input.response,
      expectedChallenge: challenge.challenge,
      expectedOrigin: deps.rp.origins,
      expectedRPID: deps.rp.id,
      credential: {
        id: passkey.credentialId,
        publicKey: new Uint8Array(passkey.publicKey),
        counter: passkey.counter,
        transports: passkey.transports as AuthenticatorTransportFuture[],
      },
      requireUserVerification: true,
    });
    if (!verification.verified) throw new Error('not verified');
    newCounter = verification.authenticationInfo.newCounter;
  } catch (error) {
    // A counter that did not grow lands here too: a cloned authenticator, or a replay.
    client.log.warn(
      { passkey_id: passkey.id, reason: (error as Error).message },
      'passkey sign-in refused',
    );
    throw await fail('invalid_assertion', passkey.userId);
  }
  return ctx.db.transaction(async (tx) => {
    // The user's row first, as signIn locks it: removing this passkey locks the row and then the
    // passkey, so the opposite order could deadlock.
    const user = await lockUser(tx, passkey.userId);
    if (!user) throw refused();
    if (!(await recordUse(tx, passkey.id, passkey.counter, newCounter))) throw refused();
    // User verification was required: the passkey is both factors, so MFA adds no step.
    const result = await signIn(ctx, user, client, {
      method: 'passkey',
      multiFactor: true,
      openedBy: { passkeyId: passkey.id },
      tx,
      details: { passkey_id: passkey.id, user_verified: true },
    });
    if ('mfa_required' in result) throw new Error('a multi-factor sign-in asked for MFA');
    return result;
  });
}
