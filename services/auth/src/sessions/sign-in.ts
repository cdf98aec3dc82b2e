import type { FastifyBaseLogger } from 'fastify';
import { recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../context.ts';
import type { Executor } from '../db/index.ts';
import { problem } from '../errors.ts';
import { recordEvent } from '../events/outbox.ts';
import { describeError } from '../mail/errors.ts';
import { type MfaRequired, openChallenge, type PendingLink } from '../second-factor/service.ts';
import { tooManyFailures } from '../throttle/service.ts';
import { findUserByLogin, lockUser, setPasswordHash, type UserRow } from '../users/repository.ts';
import { completeLink, type Linked } from './pending-link.ts';
import type { OpenedBy } from './repository.ts';
import { type ClientInfo, signedInFrom, startSession } from './service.ts';

// Password sign-in and signIn, the one way to finish any sign-in; its second step (`POST
// /login/mfa`) is in mfa-sign-in.ts.

/** Matches no session: an unknown account is looked up too, so its answer takes as long. */
const NO_USER = '00000000-0000-0000-0000-000000000000';

/** One response for every login failure: same status, same body, about the same time. */
const invalidCredentials = () =>
  problem('invalid_credentials', 'The email, username or password is incorrect.', {
    headers: { 'www-authenticate': 'Bearer' },
  });

export async function login(
  ctx: AuthContext,
  input: { login: string; password: string },
  client: ClientInfo & { log: FastifyBaseLogger },
) {
  const user = await findUserByLogin(ctx.db, input.login);
  // A known account is counted by its id, so guesses by email and by username share one limit;
  // an unknown one by what was typed, so it locks exactly like a real one would.
  const account = user ? `user:${user.id}` : `unknown:${input.login.toLowerCase()}`;
  const attempt = await ctx.throttle.check(account, client.ip, () =>
    signedInFrom(ctx, user?.id ?? NO_USER, client.ip),
  );
  const { refusal } = attempt;
  if (refusal && !refusal.spared) {
    client.log.warn({ scope: refusal.scope }, 'sign-in refused: too many failures');
    // A refusal the account's known address is spared from checks the password first (below);
    // this one takes as long, so the time of the 429 does not tell the two apart.
    if (refusal.scope !== 'account_address') await ctx.passwords.burnVerification(input.password);
    await failedSignIn(ctx, user?.id ?? null, 'rate_limited', client);
    throw tooManyFailures(refusal);
  }

  const valid = user
    ? await ctx.passwords.verify(user.passwordHash, input.password)
    : await ctx.passwords.burnVerification(input.password).then(() => false);
  if (!user || !valid) {
    await attempt.recordFailure();
    // Both paths write one row, so the answer's timing stays the same.
    await failedSignIn(
      ctx,
      user?.id ?? null,
      user ? 'invalid_password' : 'unknown_account',
      client,
    );
    // Spared from a lock, a wrong password answers that lock's 429, as any other email does.
    throw refusal ? tooManyFailures(refusal) : invalidCredentials();
  }
  await attempt.recordSuccess();
  // Weaker than today's settings (raised since): the password is at hand now, and only now.
  const rehashed =
    user.passwordHash && ctx.passwords.needsRehash(user.passwordHash)
      ? await rehashOf(ctx, user.id, user.passwordHash, input.password, client.log)
      : undefined;
  return signIn(ctx, user, client, {
    method: 'password',
    passwordHash: user.passwordHash,
    password: input.password,
    rehashed: rehashed ? { passwordHash: rehashed, log: client.log } : undefined,
  });
}

const REHASH_FAILED = 'password rehash failed; the old hash is kept';

/**
 * The password was right: a rehash that fails (argon2 cannot allocate its memory, the write is
 * refused) costs the sign-in nothing. The old hash stays, and the next sign-in tries again. The
 * error is logged by kind and code only: a driver's message quotes the hash it was given.
 */
async function rehashOf(
  ctx: AuthContext,
  userId: string,
  storedHash: string,
  password: string,
  log: FastifyBaseLogger,
): Promise<string | undefined> {
  try {
    return await ctx.passwords.rehash(storedHash, password);
  } catch (error) {
    log.warn({ user_id: userId, error: describeError(error) }, REHASH_FAILED);
    return undefined;
  }
}

/** Under a savepoint: a failed update rolls back alone, and the sign-in's transaction goes on. */
async function storeRehash(
  tx: Executor,
  userId: string,
  rehashed: NonNullable<SignInOptions['rehashed']>,
): Promise<void> {
  try {
    await tx.transaction((savepoint) => setPasswordHash(savepoint, userId, rehashed.passwordHash));
  } catch (error) {
    rehashed.log.warn({ user_id: userId, error: describeError(error) }, REHASH_FAILED);
  }
}

type FailureReason =
  | 'invalid_password'
  | 'unknown_account'
  | 'rate_limited'
  | 'invalid_mfa_code'
  | 'invalid_mfa_token';

/**
 * What was typed is not kept: for an unknown account it may be someone else's address, or the
 * password typed into the wrong field. Failures have no actor: nobody proved who they are.
 */
export function failedSignIn(
  ctx: AuthContext,
  userId: string | null,
  reason: FailureReason,
  client: ClientInfo,
  method: string = 'password',
) {
  return recordAudit(ctx.db, {
    type: 'login.failed',
    userId,
    actorId: null,
    client,
    details: { reason, method },
  });
}

export type SignInResult = Awaited<ReturnType<typeof startSession>>['response'] | MfaRequired;

export interface SignInOptions {
  /**
   * How the first factor was proved, for the session's record and the domain event.
   * A method that is itself multi-factor (a passkey with user verification) passes
   * `multiFactor: true` and gets tokens even when the user has MFA on.
   */
  method: 'password' | 'oidc' | 'passkey';
  multiFactor?: boolean;
  /**
   * The passkey or provider identity the sign-in proved: its removal ends the session (an
   * identity's also when the session opens after the second factor, at /login/mfa).
   */
  openedBy?: OpenedBy;
  /**
   * A provider account to link once this sign-in completes (pending-link.ts): here when no second
   * factor is due, and the session is then opened by the new identity; else the challenge carries
   * it to /login/mfa. `refused()`: the error when it can no longer be linked; `done`: what was
   * linked, told in the transaction (the owner is mailed after commit).
   */
  link?: { pending: PendingLink; refused: () => Error; done: (linked: Linked) => void };
  /** More facts for the `login.succeeded` audit event (a provider, a passkey id…). */
  details?: Record<string, unknown>;
  /**
   * The caller's transaction, when the first factor is spent in it (a one-time login code, a
   * passkey counter): the session, or the challenge, then commits or rolls back with it.
   */
  tx?: Executor;
  /**
   * For a password sign-in, the hash the password was checked against: the check is slow
   * (argon2) and read the row before it, so the hash must still be this one (see `signIn`).
   */
  passwordHash?: string | null;
  /**
   * The password that was checked: when the hash changed since, a sign-in that rehashed it in
   * the meantime (`rehashed`) may be why, so the password is checked against the new hash
   * before the sign-in is refused (out of the transaction: see `signIn`).
   */
  password?: string;
  /**
   * The password hashed again (needsRehash), stored in place of `passwordHash` unless the write
   * fails (`log` says so: the sign-in goes on with the old hash).
   */
  rehashed?: { passwordHash: string; log: FastifyBaseLogger };
}

/** signIn's transaction found another password hash than the one checked (see signIn). */
class HashChanged {
  constructor(readonly passwordHash: string | null) {}
}

/**
 * The one way to finish any sign-in once the first factor is proved (password, OIDC, passkey):
 * a token pair, or, when the user has MFA on, `{mfa_required, mfa_token, methods}` to be
 * completed at `POST /login/mfa`.
 *
 * The session opens under a lock of the user's row, read again here (`lockUser` says why not a
 * shared one). Whatever revokes a user's sessions (a password change or reset, fewer roles, MFA
 * turned on, deletion) takes that lock first, so it either waits for this sign-in and then
 * revokes its session, or has committed and this sign-in sees it: the new roles, MFA on, the
 * account gone, or another password hash than the one checked (refused like a wrong password,
 * unless the password checks against it too: another sign-in's rehash; that check runs after the
 * transaction, and the sign-in starts again). Without it, a sign-in in flight (a loop of them,
 * for whoever holds the old password or the old role) committed a session just after the
 * revocation and kept it. A caller whose `tx` already holds locks of the
 * user's rows (a passkey, a login code) takes this lock first, to keep one order and no deadlock.
 */
export async function signIn(
  ctx: AuthContext,
  user: UserRow,
  client: ClientInfo,
  options: SignInOptions,
): Promise<SignInResult> {
  const open = async (tx: Executor): Promise<SignInResult | HashChanged> => {
    const current = await lockUser(tx, user.id);
    if (!current) throw invalidCredentials();
    if (options.passwordHash !== undefined && current.passwordHash !== options.passwordHash) {
      // Another sign-in of the same password may have stored it rehashed: checked below, once
      // this transaction has ended (password sign-ins bring none of their own).
      if (options.password === undefined || options.tx) throw invalidCredentials();
      return new HashChanged(current.passwordHash);
    }
    if (options.rehashed) await storeRehash(tx, current.id, options.rehashed);
    // Decided here, under the lock: MFA turned on since the first factor was proved applies too.
    if (current.mfaEnabled && !options.multiFactor) {
      return openChallenge(ctx, tx, current.id, options.method, {
        identityId: options.openedBy?.identityId,
        link: options.link?.pending,
      });
    }
    let { openedBy, details } = options;
    if (options.link) {
      const linked = await completeLink(tx, current.id, options.link.pending, client);
      if (!linked) throw options.link.refused();
      options.link.done(linked);
      openedBy = { ...openedBy, identityId: linked.identityId };
      details = { ...details, identity_id: linked.identityId };
    }
    const tokens = await startSession(ctx, tx, current, client, openedBy);
    await recordEvent(tx, 'user.logged_in', {
      user_id: current.id,
      session_id: tokens.sessionId,
      method: options.method,
    });
    await recordAudit(tx, {
      type: 'login.succeeded',
      userId: current.id,
      actorId: current.id,
      client,
      details: { ...details, session_id: tokens.sessionId, method: options.method },
    });
    return tokens.response;
  };
  const result = options.tx ? await open(options.tx) : await ctx.db.transaction(open);
  if (!(result instanceof HashChanged)) return result;
  // Checked out of the transaction: under the row's lock, this argon2 check (tens of ms) held
  // every sign-in of the account queued behind it, each on a pooled connection (ten took the
  // whole pool). A change or reset to another password fails it like a wrong password; the
  // same password (another sign-in's rehash) passes, and the sign-in starts again against the
  // hash just checked, which must then still be there (refused otherwise, no further round).
  const { password } = options;
  if (password === undefined || !(await ctx.passwords.verify(result.passwordHash, password))) {
    throw invalidCredentials();
  }
  return signIn(ctx, user, client, {
    ...options,
    passwordHash: result.passwordHash,
    password: undefined,
    rehashed: undefined,
  });
}
