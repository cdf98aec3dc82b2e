import { problems } from '@platform/http';
import type {
  AuthenticatorTransportFuture,
  RegistrationResponseJSON,
  VerifiedRegistrationResponse,
} from '@simplewebauthn/server';
import type { FastifyBaseLogger } from 'fastify';
import { type AuditClient, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../context.ts';
import { problem } from '../errors.ts';
import {
  publishRevocations,
  type RevocationEntry,
  revokeSessionsOpenedBy,
} from '../sessions/revocations.ts';
import { requireRecentSignIn } from '../sessions/service.ts';
import { notify } from '../users/notice.ts';
import { findUserById, lockUser } from '../users/repository.ts';
import { removeSignInMethod } from '../users/service.ts';
import {
  countPasskeys,
  deletePasskey,
  insertChallenge,
  insertPasskey,
  listPasskeys,
  type PasskeyRow,
  takeRegistrationChallenge,
} from './repository.ts';
import type { RelyingParty } from './settings.ts';
import { simpleWebAuthn } from './webauthn.ts';

// Adding, listing and removing a user's passkeys; signing in with one is in sign-in.ts.

/** How long the browser (and the user) may take to answer a challenge (sign-in.ts's too). */
export const CHALLENGE_TTL_SECONDS = 300;
const MAX_PASSKEYS = 25;

export interface PasskeyDeps {
  rp: RelyingParty & { name: string };
}

export function toPasskeyView(row: PasskeyRow) {
  return {
    id: row.id,
    name: row.name,
    created_at: row.createdAt.toISOString(),
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
  };
}

/** The user handle a passkey stores: the user id's 16 bytes, nothing personal. */
export const userHandle = (userId: string) => Buffer.from(userId.replaceAll('-', ''), 'hex');

/** Creation options for a new passkey of the signed-in user (`navigator.credentials.create`). */
export async function registrationOptions(
  ctx: AuthContext,
  deps: PasskeyDeps,
  principal: { userId: string; sessionId: string },
) {
  const webauthn = await simpleWebAuthn();
  const user = await findUserById(ctx.db, principal.userId);
  if (!user) throw problems.unauthorized();
  // A stolen access token alone must not add a way to sign in.
  await requireRecentSignIn(
    ctx.db,
    principal.sessionId,
    'Sign in again to add a passkey: the sign-in is too old.',
  );
  const existing = await listPasskeys(ctx.db, user.id);
  if (existing.length >= MAX_PASSKEYS) {
    throw problem('too_many_passkeys', `An account has at most ${MAX_PASSKEYS} passkeys.`);
  }
  const options = await webauthn.generateRegistrationOptions({
    rpName: deps.rp.name,
    rpID: deps.rp.id,
    userID: userHandle(user.id),
    userName: user.email,
    userDisplayName: user.displayName ?? user.username,
    timeout: CHALLENGE_TTL_SECONDS * 1000,
    attestationType: 'none',
    excludeCredentials: existing.map((p) => ({
      id: p.credentialId,
      transports: p.transports as AuthenticatorTransportFuture[],
    })),
    // Discoverable, so it signs in without an email; verified, so it is two factors in one.
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  });
  await insertChallenge(ctx.db, {
    challenge: options.challenge,
    purpose: 'registration',
    userId: user.id,
    expiresAt: new Date(Date.now() + CHALLENGE_TTL_SECONDS * 1000),
  });
  return options;
}

/** The challenge a browser answered, from its clientDataJSON (the library checks it again). */
function challengeIn(clientDataJSON: string): string | undefined {
  try {
    const data = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    return typeof data?.challenge === 'string' ? data.challenge : undefined;
  } catch {
    return undefined;
  }
}

/** Verifies the browser's answer to a registration challenge and stores the new passkey. */
export async function registerPasskey(
  ctx: AuthContext,
  deps: PasskeyDeps,
  principal: { userId: string; sessionId: string },
  input: { response: RegistrationResponseJSON; name?: string },
  client: AuditClient & { log: FastifyBaseLogger },
) {
  const webauthn = await simpleWebAuthn();
  const { log } = client;
  const { userId } = principal;
  // Checked again here, where the passkey is added: the options may have been asked for by
  // another (fresher) session of the same user, or the sign-in may have aged since.
  await requireRecentSignIn(
    ctx.db,
    principal.sessionId,
    'Sign in again to add a passkey: the sign-in is too old.',
  );
  const invalid = (detail: string) =>
    problem('invalid_passkey', detail, { errors: [{ field: 'response', message: detail }] });
  const challenge = challengeIn(input.response.response.clientDataJSON);
  const stored = challenge && (await takeRegistrationChallenge(ctx.db, userId, challenge));
  if (!stored) throw invalid('The challenge is unknown, expired or already used.');
  let verification: VerifiedRegistrationResponse;
  try {
    verification = await webauthn.verifyRegistrationResponse({
      response: input.response,
      expectedChallenge: stored.challenge,
      expectedOrigin: deps.rp.origins,
      expectedRPID: deps.rp.id,
      requireUserVerification: true,
    });
  } catch (error) {
    log.info({ reason: (error as Error).message }, 'passkey registration refused');
    throw invalid('The passkey response could not be verified.');
  }
  if (!verification.verified || !verification.registrationInfo) {
    throw invalid('The passkey response could not be verified.');
  }
  const info = verification.registrationInfo;
  const row = await ctx.db
    .transaction(async (tx) => {
      await lockUser(tx, userId);
      // Again under the user's lock: a password reset that committed meanwhile revoked this
      // session, and what it signed out must not add a way back in.
      await requireRecentSignIn(tx, principal.sessionId, 'Sign in again to add a passkey.');
      if ((await countPasskeys(tx, userId)) >= MAX_PASSKEYS) {
        throw problem('too_many_passkeys', `An account has at most ${MAX_PASSKEYS} passkeys.`);
      }
      const row = await insertPasskey(tx, {
        userId,
        credentialId: info.credential.id,
        publicKey: Buffer.from(info.credential.publicKey),
        counter: info.credential.counter,
        transports: info.credential.transports ?? [],
        deviceType: info.credentialDeviceType,
        backedUp: info.credentialBackedUp,
        name: input.name?.trim() || 'Passkey',
      });
      await recordAudit(tx, {
        type: 'passkey.added',
        userId,
        actorId: userId,
        client,
        details: {
          passkey_id: row.id,
          device_type: row.deviceType,
          backed_up: row.backedUp,
          user_verified: info.userVerified,
        },
      });
      return row;
    })
    .catch((error: unknown) => {
      if (isUniqueViolation(error)) {
        throw problem('passkey_exists', 'This passkey is registered already.');
      }
      throw error;
    });
  // It signs in without the password: the owner hears of it (a stolen, recently signed-in token
  // could add one; review).
  await notify(ctx, userId, 'passkey-added', log);
  return toPasskeyView(row);
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string } };
  return (e.code ?? e.cause?.code) === '23505';
}

export async function passkeysOf(ctx: AuthContext, userId: string) {
  return { items: (await listPasskeys(ctx.db, userId)).map(toPasskeyView) };
}

/**
 * Removes a passkey, not the last way in; a recent sign-in only, as adding one (a stolen token).
 * The sessions it opened end with it, in the same transaction (all but the caller's, as a
 * password change keeps it): a lost phone, or an intruder's passkey the owner found, is signed
 * out, not only kept from signing in again.
 */
export async function removePasskey(
  ctx: AuthContext,
  principal: { userId: string; sessionId: string },
  id: string,
  client: AuditClient & { log: FastifyBaseLogger },
) {
  const { userId } = principal;
  let revoked: RevocationEntry[] = [];
  const removed = await removeSignInMethod(ctx, userId, {
    allowed: (tx) =>
      requireRecentSignIn(tx, principal.sessionId, 'Sign in again to remove a passkey.'),
    remove: (tx) => deletePasskey(tx, userId, id),
    notFound: 'No such passkey.',
    last: () =>
      problem(
        'last_sign_in_method',
        'This is the last way to sign in to the account; add a password, passkey or provider first.',
      ),
    audit: async (tx, removed) => {
      revoked = await revokeSessionsOpenedBy(
        tx,
        userId,
        { passkeyId: removed.id },
        ctx.config.ACCESS_TOKEN_MAX_LIFETIME,
        principal.sessionId,
      );
      await recordAudit(tx, {
        type: 'passkey.removed',
        userId,
        actorId: userId,
        client,
        details: { passkey_id: removed.id, revoked_sessions: revoked.length },
      });
    },
  });
  await publishRevocations(ctx.revocations, revoked, client.log);
  return removed;
}
